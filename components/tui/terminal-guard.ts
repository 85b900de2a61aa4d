/** Every mode the cockpit or an attached agent may have turned on, off again. */
export const RESET_MODES =
  '\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l' + // mouse reporting
  '\x1b[?2004l' + // bracketed paste
  '\x1b[?1l\x1b>' + // application cursor keys and keypad
  '\x1b[?1004l' + // focus events
  '\x1b[r' + // scroll region
  '\x1b[0m\x1b[?25h'; // attributes, cursor visible

export const ENTER_ALT = '\x1b[?1049h\x1b[H\x1b[2J';
export const LEAVE_ALT = '\x1b[?1049l';

/**
 * Puts the terminal back the way it was on every way out — quit, crash, signal, SSH drop —
 * exactly once.
 */
export function guardTerminal(out: NodeJS.WriteStream, input: NodeJS.ReadStream): () => void {
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      if (input.isTTY) input.setRawMode(false);
    } catch {
      // the terminal is gone
    }
    try {
      out.write(`${RESET_MODES}${LEAVE_ALT}`);
    } catch {
      // the terminal is gone
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', restore);
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.once(sig, onSignal);
  process.once('uncaughtException', (e) => {
    restore();
    process.stderr.write(`muster: ${e.stack ?? String(e)}\n`);
    process.exit(1);
  });
  return restore;
}
