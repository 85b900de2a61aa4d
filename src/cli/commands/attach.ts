import type { Command } from 'commander';
import { connect } from '../../client/connect.js';
import { MusterError } from '../../protocol/errors.js';
import { colorEnabled } from '../../pane/row-render.js';
import { parseTaskId } from '../args.js';
import { cockpitKeys } from '../cockpit-keys.js';

export function registerAttachCommand(program: Command): void {
  program
    .command('attach')
    .description("show one agent's terminal full-screen; every key goes to the agent except the detach key (ctrl+] unless keys.detach says otherwise)")
    .argument('<task>', 'task id')
    .action(async (raw: string) => {
      const id = parseTaskId(raw);
      const { stdin, stdout, stderr } = process;
      if (!stdin.isTTY || !stdout.isTTY)
        throw new MusterError('bad-input', 'muster attach needs a terminal on stdin and stdout (run it in a terminal or a tmux pane).');
      const { client, paths } = await connect();
      try {
        // Loaded here, not at startup: every other command would pay for the YAML parser.
        const [{ detachKeyOf }, { attachFullScreen, guardTerminal }] = await Promise.all([
          import('../detach-key.js'),
          import('../../../components/tui/attach-mode.js'),
        ]);
        const detach = detachKeyOf(await cockpitKeys(paths));
        // A kill (SIGTERM, SIGHUP) must not leave the agent's screen and modes on the terminal.
        const restore = guardTerminal(stdout, stdin);
        stdout.write('\x1b[?1049h');
        let message = '';
        let notRunning = false;
        try {
          const outcome = await attachFullScreen(client, id, {
            detachKey: detach.name,
            out: stdout,
            input: stdin,
            hint: null,
            color: colorEnabled(process.env),
          });
          notRunning = outcome.kind === 'not-running';
          message =
            outcome.kind === 'detached'
              ? `Detached from #${id} (${detach.name}). The agent keeps running.`
              : outcome.kind === 'ended'
                ? `#${id}'s agent exited (${outcome.signal ? `signal ${outcome.signal}` : `code ${outcome.exitCode}`}).`
                : `muster: the supervisor went away; #${id} was detached.`;
        } finally {
          restore();
          stdin.pause();
          // The terminal stays open for reading; it must not keep muster from exiting.
          stdin.unref();
        }
        if (notRunning) {
          const last = (await client.call('task.show', { id })).sessions.at(-1);
          const how = !last ? 'it has not started' : last.signal ? `it exited on signal ${last.signal}` : `it exited with code ${last.exitCode}`;
          process.exitCode = 1;
          stderr.write(`#${id}'s agent is not running (${how}); "muster log ${id}" prints what it wrote.\n`);
        } else stdout.write(`${message}\n`);
      } finally {
        client.close();
      }
    });
}
