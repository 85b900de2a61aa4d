import type { Command } from 'commander';
import type { MusterClient } from '../../client/client.js';
import { connect } from '../../client/connect.js';
import { MusterError } from '../../protocol/errors.js';
import { termEventSchema } from '../../protocol/shapes.js';
import { RESET_MODES } from '../../pane/terminal-modes.js';
import { parseTaskId } from '../args.js';


export function registerAttachCommand(program: Command): void {
  program
    .command('attach')
    .description("show one agent's terminal full-screen; every key goes to the agent except the detach key (ctrl+] unless keys.detach says otherwise)")
    .argument('<task>', 'task id')
    .action(async (raw: string) => {
      const id = parseTaskId(raw);
      const { stdin, stdout } = process;
      if (!stdin.isTTY || !stdout.isTTY) throw new MusterError('bad-input', 'muster attach needs a terminal on stdin and stdout (run it in a terminal or a tmux pane).');
      const { client, paths } = await connect();
      try {
        // Loaded here, not at startup: every other command would pay for the YAML parser.
        const [{ loadConfig }, { detachKeyOf }] = await Promise.all([import('../../config/load.js'), import('../detach-key.js')]);
        const detach = detachKeyOf(loadConfig(paths.configFile, paths.repo.mainRoot).keys);
        const { findKey } = await import('../../keymap/index.js');
        await passthrough(client, id, detach, findKey);
      } finally {
        client.close();
      }
    });
}

/** Raw bytes both ways until the detach key; the terminal is restored on every way out. */
async function passthrough(client: MusterClient, id: number, detach: { name: string }, findKey: typeof import('../../keymap/index.js').findKey): Promise<void> {
  const { stdin, stdout } = process;
  const { screen } = await client.call('term.attach', { task: id, cols: stdout.columns, rows: stdout.rows });
  await new Promise<void>((resolve) => {
    let ended = false;
    const finish = (message: string) => {
      if (ended) return;
      ended = true;
      stdin.setRawMode(false);
      stdin.pause();
      stdout.write(`${RESET_MODES}\x1b[?1049l${message}\n`);
      resolve();
    };
    stdout.write('\x1b[?1049h\x1b[H\x1b[2J');
    stdout.write(screen);
    client.onEvent((e) => {
      if (e.topic !== 'term' || ended) return;
      const ev = termEventSchema.safeParse(e.data);
      if (!ev.success || ev.data.task !== id) return;
      if ('data' in ev.data) stdout.write(ev.data.data);
      else if ('reset' in ev.data) stdout.write(`\x1b[H\x1b[2J${ev.data.reset}`);
    });
    client.onDisconnect(() => finish(`muster: the supervisor went away; #${id} was detached.`));
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.on('data', (chunk: string) => {
      // The agent may have switched the terminal to the kitty or modifyOtherKeys encodings.
      const hit = findKey(chunk, detach.name);
      const keys = hit ? chunk.slice(0, hit.start) : chunk;
      if (keys) void client.call('term.input', { task: id, data: keys }).catch(() => undefined);
      if (hit) finish(`Detached from #${id} (${detach.name}). The agent keeps running.`);
    });
    stdout.on('resize', () => void client.call('term.resize', { task: id, cols: stdout.columns, rows: stdout.rows }).catch(() => undefined));
  });
}
