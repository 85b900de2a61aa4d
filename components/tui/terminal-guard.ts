import { RESET_MODES } from '../../src/pane/terminal-modes.js';

export { RESET_MODES };

/** Onto the alternate screen without clearing it (a no-op when already there). */
export const ENTER_ALT_KEEP = '\x1b[?1049h';
export const LEAVE_ALT = '\x1b[?1049l';

/**
 * The modes the cockpit keeps its terminal in: the cursor hidden (Ink draws its own) and
 * bracketed paste, so a pasted prompt arrives whole instead of as keys. Written at start and
 * after every full-screen attach, whatever the attached view left.
 */
export const COCKPIT_MODES = '\x1b[?25l\x1b[?2004h';

/** The cockpit's own modes off, before an attached agent's view sets the ones it wants. */
export const COCKPIT_MODES_OFF = '\x1b[?2004l';

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
