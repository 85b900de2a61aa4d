import type { Command } from 'commander';
import { MusterError } from '../../protocol/errors.js';
import { parseTaskId } from '../args.js';
import { printJson, println, taskJson } from '../output.js';
import { withClient } from '../session.js';

export function registerAgentCommands(program: Command, task: Command): void {
  task
    .command('done')
    .description('mark a task done: it goes to review (inside a task worktree the id may be left out)')
    .argument('[id]', 'task id (default: the task of this worktree)')
    .option('--summary <text>', 'what was done and how it was checked; kept on the task and shown in the merge view')
    .option('--json', 'print the task as JSON')
    .action(async (id: string | undefined, o: { summary?: string; json?: boolean }) => {
      const t = await withClient((c) => c.call('task.done', { id: id === undefined ? undefined : parseTaskId(id), summary: o.summary }));
      if (o.json) printJson(taskJson(t));
      else println(`#${t.id} is ready for review.`);
    });

  task
    .command('retry')
    .description('run a failed, stalled or cancelled task again, in the same worktree and branch')
    .argument('<id>', 'task id')
    .option('--fresh', "start the agent's conversation cold instead of resuming it")
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { fresh?: boolean; json?: boolean }) => {
      const t = await withClient((c) => c.call('task.retry', { id: parseTaskId(id), fresh: !!o.fresh }));
      if (o.json) printJson(taskJson(t));
      else println(`#${t.id} queued again (${t.state}${t.reason ? `: ${t.reason}` : ''}).`);
    });

  const agent = program.command('agent').description('what agents tell the supervisor about themselves');
  agent
    .command('status')
    .description("report this agent's activity (for agent hooks); acts for the task of this worktree")
    .argument('<status>', 'working | waiting-input | idle')
    .option('--task <id>', 'the task, when not run inside its worktree')
    .option('--note <text>', 'what the agent needs, shown to the operator')
    .option('--json', 'print the task as JSON')
    .action(async (status: string, o: { task?: string; note?: string; json?: boolean }) => {
      if (!['working', 'waiting-input', 'idle'].includes(status))
        throw new MusterError('bad-input', `Unknown status "${status}": use working, waiting-input or idle.`);
      const t = await withClient((c) =>
        c.call('agent.status', {
          status: status as 'working' | 'waiting-input' | 'idle',
          task: o.task === undefined ? undefined : parseTaskId(o.task),
          note: o.note,
        }),
      );
      if (o.json) printJson(taskJson(t));
      else println(`#${t.id} ${t.activity}`);
    });

  program
    .command('gc')
    .description('remove worktrees of merged and cancelled tasks, after archiving their work under refs/muster/archive/')
    .option('--force', 'also failed and stalled tasks, and muster worktrees that no task owns (always archived first)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { force?: boolean; json?: boolean }) => {
      const r = await withClient((c) => c.call('gc', { force: !!o.force }));
      if (o.json) {
        printJson(r);
        return;
      }
      for (const x of r.removed) println(`removed ${x.path}${x.archive ? ` (work kept at ${x.archive})` : ''}`);
      for (const x of r.kept) println(`kept ${x.path}: ${x.why}`);
      if (r.pruned) println(`pruned ${r.pruned} stale registration${r.pruned === 1 ? '' : 's'}`);
      if (!r.removed.length && !r.kept.length && !r.pruned) println('Nothing to collect.');
    });
}
