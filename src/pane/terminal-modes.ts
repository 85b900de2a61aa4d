/**
 * Every terminal mode a full-screen program (an attached agent, the cockpit) may have turned
 * on, turned off again: written whenever the terminal is handed back.
 */
export const RESET_MODES =
  '\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l' + // mouse reporting
  '\x1b[?2004l' + // bracketed paste
  '\x1b[?1l\x1b>' + // application cursor keys and keypad
  '\x1b[?1004l' + // focus events
  '\x1b[r' + // scroll region
  '\x1b[0m\x1b[?25h'; // attributes, cursor visible
