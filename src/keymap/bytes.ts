import { composeKey, splitKey, type KeyName } from './keys.js';

// Raw mode delivers the bytes of the terminal's keyboard encoding; these are xterm's, which
// every terminal muster runs in (tmux, ssh, iTerm2, kitty in legacy mode) speaks.
const SINGLE_BYTE: Readonly<Record<string, KeyName>> = {
  '\r': 'enter',
  // A line feed is ctrl+j, but pasted text and some terminals send it for enter, as Ink assumes.
  '\n': 'enter',
  '\t': 'tab',
  '\x1b': 'esc',
  '\x7f': 'backspace',
  // ctrl+h: terminals set to send ^H for the Backspace key.
  '\b': 'backspace',
  ' ': 'space',
  '\x00': 'ctrl+space',
  '\x1c': 'ctrl+\\',
  '\x1d': 'ctrl+]',
  '\x1e': 'ctrl+^',
  '\x1f': 'ctrl+_',
};

const CSI_LETTER: Readonly<Record<string, string>> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  H: 'home',
  F: 'end',
};
const LETTER_OF: Readonly<Record<string, string>> = {
  up: 'A',
  down: 'B',
  right: 'C',
  left: 'D',
  home: 'H',
  end: 'F',
};
// rxvt sends 7~/8~ and the Linux console 1~/4~ for home/end.
const CSI_TILDE: Readonly<Record<string, string>> = {
  '1': 'home',
  '7': 'home',
  '4': 'end',
  '8': 'end',
  '5': 'pageup',
  '6': 'pagedown',
  '3': 'delete',
};
const TILDE_OF: Readonly<Record<string, string>> = { pageup: '5', pagedown: '6', delete: '3' };

const CODEPOINT_NAMES: Readonly<Record<number, string>> = {
  13: 'enter',
  9: 'tab',
  27: 'esc',
  127: 'backspace',
  8: 'backspace',
  32: 'space',
};

const KITTY_U = /^\x1b\[(\d+)(?::\d*)*(?:;(\d*)(?::(\d+))?)?(?:;[\d:]*)?u$/;
const MODIFY_OTHER_KEYS = /^\x1b\[27;(\d+);(\d+)~$/;
const CSI_FINAL = /^\x1b\[(?:1;(\d+)(?::(\d+))?)?([ABCDHFZ])$/;
const SS3 = /^\x1bO([ABCDHF])$/;
const CSI_NUMBER = /^\x1b\[(\d+)(?:;(\d+)(?::(\d+))?)?~$/;

// xterm's modifier parameter is 1 + a bit set; kitty extends it with super, hyper, meta and
// lock bits. Super and hyper never reach a terminal app without kitty, so they name no key.
function decodeModifiers(param: string | undefined): { ctrl: boolean; meta: boolean; shift: boolean } | null {
  const bits = (param === undefined || param === '' ? 1 : Number(param)) - 1;
  if (bits < 0 || (bits & (8 | 16)) !== 0) return null;
  return { shift: (bits & 1) !== 0, meta: (bits & (2 | 32)) !== 0, ctrl: (bits & 4) !== 0 };
}

function compose(param: string | undefined, base: string | undefined, event?: string): KeyName | null {
  // Kitty's release events: a key is acted on when pressed, once.
  if (base === undefined || event === '3') return null;
  const mods = decodeModifiers(param);
  if (mods === null) return null;
  const composed = composeKey({ ...mods, base });
  return composed.ok ? composed.key : null;
}

function fromCodePoint(code: number): string | undefined {
  return CODEPOINT_NAMES[code] ?? (code > 0x20 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined);
}

// undefined: not an escape sequence we know, so the ESC may be a meta prefix.
function fromEscapeSequence(data: string): KeyName | null | undefined {
  let m = CSI_FINAL.exec(data);
  if (m) {
    if (m[3] === 'Z') return m[1] === undefined ? 'shift+tab' : null;
    return compose(m[1], CSI_LETTER[m[3] ?? ''], m[2]);
  }
  if ((m = SS3.exec(data))) return compose(undefined, CSI_LETTER[m[1] ?? '']);
  if ((m = MODIFY_OTHER_KEYS.exec(data))) return compose(m[1], fromCodePoint(Number(m[2])));
  if ((m = CSI_NUMBER.exec(data))) return compose(m[2], CSI_TILDE[m[1] ?? ''], m[3]);
  if ((m = KITTY_U.exec(data))) return compose(m[2], fromCodePoint(Number(m[1])), m[3]);
  return data.startsWith('\x1b[') && data.length > 2 ? null : undefined;
}

/**
 * The canonical name of ONE raw stdin chunk in raw mode (attach mode reads stdin itself,
 * because Ink reduces escape sequences to flags). Null for pasted text, several keys in one
 * chunk, or a sequence that names no bindable key (F-keys, insert).
 */
export function keyFromBytes(data: string): KeyName | null {
  const chars = [...data];
  const first = chars[0];
  if (first === undefined) return null;
  if (chars.length === 1) {
    const known = SINGLE_BYTE[first];
    if (known !== undefined) return known;
    const code = first.codePointAt(0) ?? 0;
    if (code >= 0x01 && code <= 0x1a) return `ctrl+${String.fromCharCode(code + 0x60)}`;
    return compose(undefined, first);
  }
  if (first !== '\x1b') return null;
  const sequence = fromEscapeSequence(data);
  if (sequence !== undefined) return sequence;
  // ESC before a key is how terminals send meta (alt) with it.
  const inner = keyFromBytes(data.slice(1));
  const parts = inner === null ? null : splitKey(inner);
  if (parts === null || parts.meta) return null;
  const composed = composeKey({ ...parts, meta: true });
  return composed.ok ? composed.key : null;
}

/**
 * The bytes a terminal sends for a canonical key (xterm encoding, normal cursor mode), or
 * null for a name that is not canonical. The reverse of `keyFromBytes`.
 */
export function bytesForKey(name: KeyName): string | null {
  const parts = splitKey(name);
  if (parts === null) return null;
  const { ctrl, meta, shift, base } = parts;
  const letter = LETTER_OF[base];
  const tilde = TILDE_OF[base];
  if (letter !== undefined || tilde !== undefined) {
    const mod = 1 + (shift ? 1 : 0) + (meta ? 2 : 0) + (ctrl ? 4 : 0);
    if (letter !== undefined) return mod === 1 ? `\x1b[${letter}` : `\x1b[1;${mod}${letter}`;
    return mod === 1 ? `\x1b[${tilde}~` : `\x1b[${tilde};${mod}~`;
  }
  let core: string;
  if (base === 'tab') core = shift ? '\x1b[Z' : '\t';
  else if (base === 'enter') core = '\r';
  else if (base === 'esc') core = '\x1b';
  else if (base === 'backspace') core = '\x7f';
  else if (base === 'space') core = ctrl ? '\x00' : ' ';
  else core = ctrl ? String.fromCharCode(base.charCodeAt(0) & 0x1f) : base;
  return meta ? `\x1b${core}` : core;
}

// Keyboard-protocol forms of a ctrl key: kitty's CSI u and xterm's modifyOtherKeys. An agent
// can switch the terminal into either while attached, and detach must keep working then.
const EXTENDED_FORMS = /\x1b\[\d+(?::\d*)*(?:;\d*(?::\d+)?)?(?:;[\d:]*)?u|\x1b\[27;\d+;\d+~/g;

/**
 * Where the ctrl key `name` (the detach key) occurs in a raw chunk that may hold other keys,
 * in its legacy byte or a keyboard-protocol form. Null when it does not occur, or when `name`
 * is not a single-control-byte key: only those can be found without tokenising the chunk.
 */
export function findKey(data: string, name: KeyName): { start: number; end: number } | null {
  const bytes = bytesForKey(name);
  if (bytes === null || bytes.length !== 1 || bytes === '\x1b' || bytes >= ' ') return null;
  const legacy = data.indexOf(bytes);
  let found = legacy === -1 ? null : { start: legacy, end: legacy + 1 };
  for (const match of data.matchAll(EXTENDED_FORMS)) {
    if (found !== null && match.index >= found.start) break;
    if (keyFromBytes(match[0]) === name) {
      found = { start: match.index, end: match.index + match[0].length };
      break;
    }
  }
  return found;
}
