import { findKey } from '../../src/keymap/index.js';
import { termEventSchema } from '../../src/protocol/shapes.js';
import type { CockpitClient } from '../model/cockpit-store.js';
import { RESET_MODES } from './terminal-guard.js';

/**
 * Full-screen passthrough of one agent inside the cockpit: the agent's raw bytes go straight
 * to the terminal (never through React), every key goes to the agent except the detach key,
 * whose hint stays on the last row. Resolves when the operator detaches or the stream ends.
 */
export async function attachFullScreen(client: CockpitClient, task: number, detachKey: string, out: NodeJS.WriteStream, input: NodeJS.ReadStream): Promise<void> {
  const rows = Math.max(2, out.rows);
  const cols = out.columns;
  const hint = ` #${task} attached · ${detachKey} detaches · every other key goes to the agent `;
  // The agent gets every row but the last, where the hint lives, kept there by a scroll region.
  const drawHint = () => `\x1b7\x1b[${rows};1H\x1b[0;7m${hint.slice(0, cols).padEnd(cols)}\x1b[0m\x1b8`;
  out.write(`\x1b[H\x1b[2J\x1b[1;${rows - 1}r`);
  const { screen } = await client.call('term.attach', { task, cols, rows: rows - 1 });
  out.write(`\x1b[H${screen}${drawHint()}`);
  let hintTimer: NodeJS.Timeout | null = null;
  const touchHint = () => {
    hintTimer ??= setTimeout(() => {
      hintTimer = null;
      out.write(drawHint());
    }, 150);
  };
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      offEvent();
      offClose();
      input.removeListener('readable', onReadable);
      if (hintTimer) clearTimeout(hintTimer);
      void client.call('term.detach', { task }).catch(() => undefined);
      out.write(`${RESET_MODES}\x1b[H\x1b[2J`);
      resolve();
    };
    const offEvent = client.onEvent((e) => {
      if (e.topic !== 'term') return;
      const ev = termEventSchema.safeParse(e.data);
      if (!ev.success || ev.data.task !== task) return;
      if ('data' in ev.data) out.write(ev.data.data);
      else if ('reset' in ev.data) out.write(`\x1b[H\x1b[2J${ev.data.reset}`);
      touchHint();
    });
    const offClose = client.onDisconnect(finish);
    const onReadable = () => {
      let chunk: string | Buffer | null;
      while ((chunk = input.read() as string | Buffer | null) !== null) {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        const hit = findKey(text, detachKey);
        const keys = hit ? text.slice(0, hit.start) : text;
        if (keys) void client.call('term.input', { task, data: keys }).catch(() => undefined);
        if (hit) {
          finish();
          return;
        }
      }
    };
    if (input.isTTY) input.setRawMode(true);
    input.on('readable', onReadable);
  });
}
