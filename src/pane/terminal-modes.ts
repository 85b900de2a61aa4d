import type { Terminal } from '@xterm/headless';

/**
 * Every terminal mode a full-screen program (an attached agent, the cockpit) may have turned
 * on, turned off again: written whenever the terminal is handed back to the shell.
 */
export const RESET_MODES =
  '\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1016l' + // mouse reporting
  '\x1b[?2004l' + // bracketed paste
  '\x1b[?1l\x1b>' + // application cursor keys and keypad
  '\x1b[?1004l' + // focus events
  '\x1b[4l\x1b[?6l\x1b[?7h' + // insert mode off, origin mode off, autowrap on
  '\x1b[r' + // scroll region
  '\x1b(B' + // the ASCII character set
  '\x1b[0 q' + // the terminal's own cursor shape
  '\x1b[0m\x1b[?25h'; // attributes, cursor visible

/** How an attached agent's terminal wants keys, mouse and pastes encoded, and its cursor drawn. */
export interface ScreenModes {
  /** DECCKM: arrows send `ESC O A` instead of `ESC [ A`. */
  appCursor: boolean;
  /** DECKPAM: the keypad sends application sequences. */
  appKeypad: boolean;
  /** Pastes arrive wrapped in `ESC [ 200 ~` … `ESC [ 201 ~`. */
  bracketedPaste: boolean;
  /** Which mouse events are reported. */
  mouse: 'none' | 'x10' | 'vt200' | 'drag' | 'any';
  /** Mouse reports in the SGR encoding (1006) rather than the default one. */
  mouseSgr: boolean;
  /** Focus in/out reports (1004). */
  focus: boolean;
  /** The cursor shape the program asked for (DECSCUSR); `default` when it never did. */
  cursorShape: 'default' | 'block' | 'underline' | 'bar';
  cursorBlink: boolean;
}

/** The modes of a terminal nobody changed: what the operator's terminal is put back to. */
export const DEFAULT_SCREEN_MODES: Readonly<ScreenModes> = Object.freeze({
  appCursor: false,
  appKeypad: false,
  bracketedPaste: false,
  mouse: 'none',
  mouseSgr: false,
  focus: false,
  cursorShape: 'default',
  cursorBlink: false,
});

// The mouse encoding and the cursor shape are not in xterm's public API; read the core's state
// when it is there and fall back to the defaults when it is not.
interface CoreProbe {
  _core?: {
    coreMouseService?: { activeEncoding?: unknown };
    coreService?: { decPrivateModes?: { cursorStyle?: unknown; cursorBlink?: unknown } };
  };
}

/** The modes an emulated terminal is in now. */
export function readScreenModes(term: Pick<Terminal, 'modes'>): ScreenModes {
  const m = term.modes;
  const core = (term as CoreProbe)._core;
  const encoding = core?.coreMouseService?.activeEncoding;
  const dec = core?.coreService?.decPrivateModes;
  const shape = dec?.cursorStyle;
  return {
    appCursor: m.applicationCursorKeysMode,
    appKeypad: m.applicationKeypadMode,
    bracketedPaste: m.bracketedPasteMode,
    mouse: m.mouseTrackingMode,
    mouseSgr: typeof encoding === 'string' && encoding.startsWith('SGR'),
    focus: m.sendFocusMode,
    cursorShape: shape === 'block' || shape === 'underline' || shape === 'bar' ? shape : 'default',
    cursorBlink: dec?.cursorBlink === true,
  };
}

const MOUSE_MODE: Readonly<Record<ScreenModes['mouse'], string | null>> = { none: null, x10: '9', vt200: '1000', drag: '1002', any: '1003' };
const SHAPE_CODE: Readonly<Record<Exclude<ScreenModes['cursorShape'], 'default'>, number>> = { block: 1, underline: 3, bar: 5 };

/**
 * The escape sequences that take a real terminal from modes `from` to modes `to`: only what
 * differs is written, so a terminal whose modes were never touched is never told anything.
 */
export function screenModeChanges(from: ScreenModes, to: ScreenModes): string {
  let out = '';
  const set = (on: boolean, code: string): string => `\x1b[?${code}${on ? 'h' : 'l'}`;
  if (from.appCursor !== to.appCursor) out += set(to.appCursor, '1');
  if (from.appKeypad !== to.appKeypad) out += to.appKeypad ? '\x1b=' : '\x1b>';
  if (from.bracketedPaste !== to.bracketedPaste) out += set(to.bracketedPaste, '2004');
  if (from.focus !== to.focus) out += set(to.focus, '1004');
  if (from.mouse !== to.mouse) {
    const off = MOUSE_MODE[from.mouse];
    const on = MOUSE_MODE[to.mouse];
    if (off) out += set(false, off);
    if (on) out += set(true, on);
  }
  if (from.mouseSgr !== to.mouseSgr) out += set(to.mouseSgr, '1006');
  if (from.cursorShape !== to.cursorShape || from.cursorBlink !== to.cursorBlink) {
    out += to.cursorShape === 'default' ? '\x1b[0 q' : `\x1b[${SHAPE_CODE[to.cursorShape] + (to.cursorBlink ? 0 : 1)} q`;
  }
  return out;
}

/** Whether two sets of modes are the same. */
export function sameScreenModes(a: ScreenModes, b: ScreenModes): boolean {
  return screenModeChanges(a, b) === '';
}
