/**
 * A canonical key name: what a binding's `keys` hold and what every parser here returns.
 *
 * - a single printable character stands for itself; shift is folded into it (`K`, `?`, `1`);
 * - a named key: `enter`, `esc`, `tab`, `space`, `backspace`, `delete`, `up`, `down`, `left`,
 *   `right`, `pageup`, `pagedown`, `home`, `end`;
 * - modifiers in the fixed order `ctrl+`, `meta+`, `shift+` (`ctrl+]`, `meta+x`, `shift+tab`,
 *   `ctrl+up`).
 *
 * A combination a terminal cannot send distinctly has no name: `ctrl+m` is written `enter`,
 * `ctrl+enter` and `shift+1` are refused.
 */
export type KeyName = string;

/** Keys with a name rather than a character. */
export type NamedKey = 'enter' | 'esc' | 'tab' | 'space' | 'backspace' | 'delete' | 'up' | 'down' | 'left' | 'right' | 'pageup' | 'pagedown' | 'home' | 'end';

/** A key taken apart: modifiers plus either a named key or one printable character. */
export interface KeyParts {
  readonly ctrl: boolean;
  readonly meta: boolean;
  readonly shift: boolean;
  readonly base: string;
}

/** The outcome of reading a key spelled by a person. */
export type ParsedKey = { ok: true; key: KeyName } | { ok: false; message: string };

const NAMED_KEYS: ReadonlySet<string> = new Set<NamedKey>([
  'enter',
  'esc',
  'tab',
  'space',
  'backspace',
  'delete',
  'up',
  'down',
  'left',
  'right',
  'pageup',
  'pagedown',
  'home',
  'end',
]);

// Spellings seen in tmux, vim, emacs and other tools' configs, compared without case, `-`, `_`.
const NAME_ALIASES: Readonly<Record<string, NamedKey>> = {
  enter: 'enter',
  return: 'enter',
  ret: 'enter',
  cr: 'enter',
  esc: 'esc',
  escape: 'esc',
  tab: 'tab',
  space: 'space',
  spc: 'space',
  backspace: 'backspace',
  bs: 'backspace',
  bksp: 'backspace',
  delete: 'delete',
  del: 'delete',
  dc: 'delete',
  up: 'up',
  uparrow: 'up',
  arrowup: 'up',
  down: 'down',
  downarrow: 'down',
  arrowdown: 'down',
  left: 'left',
  leftarrow: 'left',
  arrowleft: 'left',
  right: 'right',
  rightarrow: 'right',
  arrowright: 'right',
  pageup: 'pageup',
  pgup: 'pageup',
  ppage: 'pageup',
  pagedown: 'pagedown',
  pgdn: 'pagedown',
  pgdown: 'pagedown',
  npage: 'pagedown',
  home: 'home',
  end: 'end',
};

type Modifier = 'ctrl' | 'meta' | 'shift';

const MODIFIER_ALIASES: Readonly<Record<string, Modifier>> = {
  ctrl: 'ctrl',
  control: 'ctrl',
  ctl: 'ctrl',
  c: 'ctrl',
  meta: 'meta',
  alt: 'meta',
  option: 'meta',
  opt: 'meta',
  m: 'meta',
  shift: 'shift',
  s: 'shift',
};

// The keys whose modified forms terminals encode distinctly (CSI 1;<mod> sequences).
const MODIFIABLE_NAMED: ReadonlySet<string> = new Set(['up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end', 'delete']);

// ctrl+<char> that produce a C0 byte equal to a named key's: the terminal sends one byte for both.
const CTRL_SAME_AS: Readonly<Record<string, NamedKey>> = {
  i: 'tab',
  m: 'enter',
  j: 'enter',
  h: 'backspace',
  '[': 'esc',
  '?': 'backspace',
  '@': 'space',
};
const CTRL_SYMBOLS = '\\]^_';

const ACCEPTED =
  'expected a single character (a, K, ?, 1), a key name (enter, esc, tab, space, backspace, ' +
  'delete, up, down, left, right, pageup, pagedown, home, end), either with ctrl+, meta+ or shift+ ' +
  '(ctrl+], C-], ^], meta+x, shift+tab)';

const isLetter = (ch: string): boolean => ch.toLowerCase() !== ch.toUpperCase();

const isPrintable = (ch: string): boolean => {
  const code = ch.codePointAt(0) ?? 0;
  return code > 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0);
};

/**
 * Builds a canonical name from parts, or says why no terminal could send that combination
 * (the message leaves naming the key to the caller, who knows how it was spelled).
 */
export function composeKey(parts: KeyParts): ParsedKey {
  let { ctrl, shift } = parts;
  let base = parts.base;
  const { meta } = parts;
  if (!NAMED_KEYS.has(base)) {
    if ([...base].length !== 1 || !isPrintable(base)) {
      return { ok: false, message: `unknown key: ${ACCEPTED}` };
    }
    if (shift) {
      if (!isLetter(base)) {
        return { ok: false, message: 'write the character shift gives instead (e.g. "?" rather than "shift+/")' };
      }
      base = base.toUpperCase();
      shift = false;
    }
    if (ctrl) {
      // Terminals drop shift under ctrl: ctrl+K and ctrl+k are the same byte.
      const lower = base.toLowerCase();
      const same = CTRL_SAME_AS[lower];
      if (same !== undefined) {
        return composeKey({ ctrl: same === 'space', meta, shift: false, base: same });
      }
      if (!/^[a-z]$/.test(lower) && !CTRL_SYMBOLS.includes(lower)) {
        return { ok: false, message: 'terminals send no byte for it; ctrl works with letters and @ [ \\ ] ^ _' };
      }
      base = lower;
    }
  } else {
    if (shift && !MODIFIABLE_NAMED.has(base) && base !== 'tab') {
      return { ok: false, message: `terminals send the same as ${base}, so it cannot be bound apart` };
    }
    if (ctrl && !MODIFIABLE_NAMED.has(base) && base !== 'space') {
      return { ok: false, message: `terminals send the same as ${base}, so it cannot be bound apart` };
    }
    if (ctrl && shift && base === 'tab') {
      return { ok: false, message: 'terminals send the same as shift+tab, so it cannot be bound apart' };
    }
  }
  const prefix = (ctrl ? 'ctrl+' : '') + (meta ? 'meta+' : '') + (shift ? 'shift+' : '');
  return { ok: true, key: prefix + base };
}

/** Takes a canonical name apart; null when the name is not canonical. */
export function splitKey(name: string): KeyParts | null {
  let rest = name;
  const take = (prefix: string): boolean => {
    if (rest.length > prefix.length && rest.startsWith(prefix)) {
      rest = rest.slice(prefix.length);
      return true;
    }
    return false;
  };
  const parts = { ctrl: take('ctrl+'), meta: take('meta+'), shift: take('shift+'), base: rest };
  const composed = composeKey(parts);
  return composed.ok && composed.key === name ? parts : null;
}

/** True when `name` is a canonical key name. */
export const isKeyName = (name: string): boolean => splitKey(name) !== null;

/**
 * Reads a key as a person writes it in config (`C-]`, `Ctrl+]`, `ctrl-]`, `^]`, `<C-]>`,
 * `Enter`, `escape`, `S-Tab`, `M-x`) and returns its canonical name.
 */
export function parseKeySpec(spec: string): ParsedKey {
  // A lone space is the space bar, not an empty value.
  let rest = spec === ' ' ? 'space' : spec.trim().replace(/\s*([+-])\s*(?=\S)/g, '$1');
  if (rest === '') return { ok: false, message: `empty key: ${ACCEPTED}` };
  if (rest.length > 2 && rest.startsWith('<') && rest.endsWith('>')) rest = rest.slice(1, -1);
  const mods = { ctrl: false, meta: false, shift: false };
  for (;;) {
    if (rest.length > 1 && rest.startsWith('^')) {
      mods.ctrl = true;
      rest = rest.slice(1);
      continue;
    }
    const match = /^([a-z]+)[+-](.+)$/i.exec(rest);
    const modifier = match ? MODIFIER_ALIASES[(match[1] ?? '').toLowerCase()] : undefined;
    if (!match || modifier === undefined) break;
    mods[modifier] = true;
    rest = match[2] ?? '';
  }
  let base = rest;
  if ([...rest].length > 1) {
    const folded = rest.toLowerCase().replace(/[-_ ]/g, '');
    const named = NAME_ALIASES[folded];
    if (named === undefined) return { ok: false, message: `unknown key "${spec}": ${ACCEPTED}` };
    base = named;
  }
  const composed = composeKey({ ...mods, base });
  return composed.ok ? composed : { ok: false, message: `"${spec}": ${composed.message}` };
}

const GLYPHS: Readonly<Record<string, string>> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'pgup',
  pagedown: 'pgdn',
};

/** How a key is shown in hints, help and docs: arrows as glyphs, the rest as named. */
export function displayKey(name: KeyName): string {
  const parts = splitKey(name);
  if (parts === null) return name;
  const glyph = GLYPHS[parts.base];
  return glyph === undefined ? name : name.slice(0, name.length - parts.base.length) + glyph;
}
