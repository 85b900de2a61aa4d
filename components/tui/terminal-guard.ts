
import { RESET_MODES } from '../../src/pane/terminal-modes.js';

export { RESET_MODES };

/** Onto the alternate screen without clearing it (a no-op when already there). */
export const ENTER_ALT_KEEP = '\x1b[?1049h';
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
