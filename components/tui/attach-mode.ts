import { findKey } from '../../src/keymap/index.js';
import { AttachScreen } from '../../src/pane/attach-screen.js';
import { screenEventSchema } from '../../src/protocol/shapes.js';
import type { CockpitClient } from '../model/cockpit-store.js';

// `muster attach` loads this module lazily and needs the same guard as the cockpit.
export { guardTerminal } from './terminal-guard.js';

/** How a full-screen attach ended. */
export type AttachOutcome =
  | { kind: 'detached' }
  | { kind: 'ended'; exitCode: number | null; signal: number | null }
  | { kind: 'disconnected' }
  /** The agent had already exited and there is no hint row to say so (`muster attach`). */
  | { kind: 'not-running' };

export interface AttachOptions {
  detachKey: string;
  out: NodeJS.WriteStream;
  input: NodeJS.ReadStream;
  /** Keep this hint on the last row (the cockpit); null gives the agent every row (`muster attach`). */
  hint: string | null;
  /** The hint instead when the agent has already exited (its last screen is shown). */
  exitedHint?: string;
  color: boolean;
}

/**
 * One agent full-screen: its screen drawn from the supervisor's emulator (never its raw bytes,
 * so no mode it sets reaches the operator's terminal), every key but the detach key passed to
 * it raw, and the agent's terminal sized to this one for as long as it is the latest view.
 * Resolves when the operator detaches, the agent exits, or the supervisor goes away; by then
 * every mode the view turned on is off again and the screen is blank.
 */
export async function attachFullScreen(
  client: Pick<CockpitClient, 'call' | 'onEvent' | 'onDisconnect'>,
  task: number,
  opts: AttachOptions,
): Promise<AttachOutcome> {
  const { out, input, detachKey } = opts;
  const size = () => ({ cols: out.columns || 80, rows: out.rows || 24 });
  const screen = new AttachScreen(size(), (d) => out.write(d), opts.hint);
  let outcome: AttachOutcome | null = null;
  let settle: (o: AttachOutcome) => void = () => undefined;
  const done = new Promise<AttachOutcome>((r) => (settle = r));
  const finish = (o: AttachOutcome) => {
    if (outcome) return;
    outcome = o;
    settle(o);
  };

  const offEvent = client.onEvent((e) => {
    if (e.topic !== 'screen' || outcome) return;
    const ev = screenEventSchema.safeParse(e.data);
    if (!ev.success || ev.data.task !== task) return;
    if ('ended' in ev.data) finish({ kind: 'ended', ...ev.data.ended });
    else screen.frame(ev.data);
  });
  const offClose = client.onDisconnect(() => finish({ kind: 'disconnected' }));
  const onReadable = () => {
    let chunk: string | Buffer | null;
    // Once the view is ending, input is left in the stream for the cockpit to read.
    while (!outcome && (chunk = input.read() as string | Buffer | null) !== null) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      // The agent may have switched the terminal to the kitty or modifyOtherKeys encodings.
      const hit = findKey(text, detachKey);
      const keys = hit ? text.slice(0, hit.start) : text;
      if (keys) void client.call('term.input', { task, data: keys }).catch(() => undefined);
      if (hit) {
        // Keys typed right after the detach key are the cockpit's (the detach key, then o).
        const rest = text.slice(hit.end);
        if (rest) input.unshift(rest);
        return finish({ kind: 'detached' });
      }
    }
  };
  const onResize = () => {
    screen.resize(size());
    const { cols, rows } = screen.view;
    void client.call('term.attach', { task, cols, rows, color: opts.color }).catch(() => undefined);
  };

  screen.begin();
  if (input.isTTY) input.setRawMode(true);
  input.on('readable', onReadable);
  out.on('resize', onResize);
  try {
    const { cols, rows } = screen.view;
    const { running } = await client.call('term.attach', { task, cols, rows, color: opts.color });
    if (!running && opts.hint === null) finish({ kind: 'not-running' });
    else if (!running && opts.exitedHint) screen.setHint(opts.exitedHint);
    await done;
  } catch (e) {
    if (!outcome) throw e;
  } finally {
    offEvent();
    offClose();
    input.removeListener('readable', onReadable);
    out.removeListener('resize', onResize);
    void client.call('term.detach', { task }).catch(() => undefined);
    out.write(`${screen.end()}\x1b[?25l\x1b[H\x1b[2J`);
    // Node settles "nobody listens for readable" a tick after the listener goes; a reader added
    // before that (Ink, remounted at once) would never be told of input again.
    await new Promise((r) => setImmediate(r));
  }
  return outcome ?? { kind: 'detached' };
}
