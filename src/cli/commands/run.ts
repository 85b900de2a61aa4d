import type { Command } from 'commander';
import { connect } from '../../client/connect.js';
import { EXIT } from '../../protocol/errors.js';
import type { TaskView } from '../../protocol/shapes.js';
import { println } from '../output.js';
import { workersLabel } from '../../protocol/workers-label.js';
import { parseTopicEvent } from '../../protocol/topics.js';

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** `muster run`: supervise without a UI, printing each task's changes, until idle if asked. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('dispatch and supervise without a UI, printing task changes')
    .option('--until-idle', 'exit once nothing is running and nothing more can start: 0, or 1 when tasks failed')
    .action(async (o: { untilIdle?: boolean }) => {
      const { client } = await connect();
      const seen = new Map<number, string>();
      const describe = (t: TaskView) => `${t.state}${t.reason ? ` (${t.reason})` : ''}`;
      let check: (() => void) | null = null;
      client.onEvent((e) => {
        const t = parseTopicEvent(e);
        if (t?.topic !== 'task') return;
        const now = describe(t.data);
        if (seen.get(t.data.id) !== now) {
          println(`${clock()} #${t.data.id} ${t.data.title}: ${now}`);
          seen.set(t.data.id, now);
        }
        check?.();
      });
      await client.call('subscribe', { topics: ['task'] });
      const initial = await client.call('status', {});
      for (const t of initial.tasks) seen.set(t.id, describe(t));
      println(`${clock()} supervising ${initial.repo}: ${workersLabel(initial.workers, ' running')}${initial.paused ? ', dispatch paused' : ''}`);
      const closed = new Promise<void>((resolve) => client.onDisconnect(resolve));
      if (!o.untilIdle) {
        await closed;
        return;
      }
      await new Promise<void>((resolve, reject) => {
        let busy = false;
        const timer = setInterval(() => check?.(), 500);
        const finish = (e?: Error) => {
          clearInterval(timer);
          check = null;
          if (e) reject(e);
          else resolve();
        };
        check = () => {
          if (busy) return;
          busy = true;
          client
            .call('status', {})
            .then((s) => {
              if (!s.idle) return;
              const counts = Object.entries(s.counts)
                .filter(([, n]) => n > 0)
                .map(([k, n]) => `${n} ${k}`)
                .join(', ');
              println(`${clock()} idle: ${counts || 'no tasks'}`);
              for (const t of s.tasks.filter((x) => x.state === 'ready' || x.state === 'backlog')) println(`  #${t.id} ${t.title}: ${describe(t)}`);
              // A script waiting for the swarm learns from the exit code that work failed.
              const failed = s.tasks.filter((x) => x.state === 'failed');
              if (failed.length) {
                process.stderr.write(
                  `muster: ${failed.length} task${failed.length === 1 ? '' : 's'} failed:\n${failed.map((t) => `  #${t.id} ${t.title}: ${t.reason ?? 'failed'}`).join('\n')}\n"muster task show <id>" says why; "muster task retry <id>" runs it again.\n`,
                );
                process.exitCode = EXIT.failure;
              }
              finish();
            })
            .catch((e: Error) => finish(e))
            .finally(() => {
              busy = false;
            });
        };
        void closed.then(() => finish(new Error('The muster supervisor stopped.')));
        check();
      });
      client.close();
    });
}
