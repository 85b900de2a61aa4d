import type { Command } from 'commander';
import { MusterError } from '../../protocol/errors.js';
import { parseTaskId } from '../args.js';
import { withClient } from '../session.js';
import { parseTopicEvent } from '../../protocol/topics.js';

/**
 * `muster log <id>`: everything the task's terminal showed, as plain text — its log (and the
 * log's rotations) rendered by a terminal emulator in the supervisor, so colours, cursor moves
 * and progress bars come out as the lines a person read.
 */
export function registerLogCommand(program: Command): void {
  program
    .command('log')
    .description("print a task's terminal output as text (its log and rotations, rendered as a terminal shows them)")
    .argument('<task>', 'task id')
    .option('-f, --follow', "keep printing lines as they scroll off the agent's screen, until the agent exits")
    .option('--width <cols>', "render at this many columns (default: the width of the agent's terminal)")
    .action(async (raw: string, o: { follow?: boolean; width?: string }) => {
      const task = parseTaskId(raw);
      const cols = o.width === undefined ? undefined : Number(o.width);
      if (cols !== undefined && (!Number.isInteger(cols) || cols < 10 || cols > 1000))
        throw new MusterError('bad-input', `--width takes a number of columns from 10 to 1000, not "${o.width}".`);
      // A reader that went away (| head) is not an error.
      process.stdout.on('error', () => process.exit(0));
      await withClient(async (client) => {
        let end: () => void = () => undefined;
        const ended = new Promise<void>((r) => (end = r));
        client.onEvent((e) => {
          const ev = parseTopicEvent(e);
          if (ev?.topic !== 'log' || ev.data.task !== task) return;
          if ('end' in ev.data) end();
          else process.stdout.write(`${ev.data.lines.join('\n')}\n`);
        });
        client.onDisconnect(end);
        const r = await client.call('term.log', { task, cols, follow: o.follow === true });
        if (r.following) await ended;
      });
    });
}
