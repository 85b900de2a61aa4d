import type { Command } from 'commander';
import { MusterError } from '../../protocol/errors.js';
import { collect, parseTaskId, readPromptFile } from '../args.js';
import { printJson, println, taskDetailText, taskJson, tasksTable } from '../output.js';
import { withClient } from '../session.js';

interface AddOptions {
  prompt?: string;
  promptFile?: string;
  agent?: string;
  writes?: string[];
  reads?: string[];
  after?: string[];
  risk?: string;
  integration?: boolean;
  onHost?: string;
  json?: boolean;
}

export function registerTaskCommands(program: Command): Command {
  const task = program.command('task').description('add, list, show and steer tasks');

  task
    .command('add')
    .description('queue a task; it starts as soon as a worker, its dependencies and its locks allow')
    .argument('<title>', 'one line that names the task')
    .option('--prompt <text>', 'what the agent is asked to do (default: the title)')
    .option('--prompt-file <file>', 'read the prompt from a file')
    .option('--agent <name>', 'agent preset (default: default_agent from the config)')
    .option('--writes <glob>', 'path or glob the task will modify (write lock); repeatable', collect)
    .option('--reads <glob>', 'path or glob the task relies on (read lock); repeatable', collect)
    .option('--after <id>', 'task that must be merged first; repeatable', collect)
    .option('--risk <class>', 'low (no locks) | medium (its locks) | high (runs alone)')
    .option('--no-integration', "run the agent without muster's hooks, MCP server and session wiring (it still gets the brief)")
    .option('--on-host <name>', 'run the agent on this host of the config (hosts:); default: here, or a host with a free worker')
    .option('--json', 'print the task as JSON')
    .action(async (title: string, o: AddOptions) => {
      if (o.prompt !== undefined && o.promptFile !== undefined) throw new MusterError('bad-input', 'Give either --prompt or --prompt-file, not both.');
      const prompt = o.promptFile !== undefined ? readPromptFile(o.promptFile) : o.prompt;
      const after = (o.after ?? []).map((a) => parseTaskId(a, '--after id'));
      const t = await withClient((c) =>
        c.call('task.add', {
          title,
          prompt,
          agent: o.agent,
          writes: o.writes ?? [],
          reads: o.reads ?? [],
          after,
          risk: o.risk,
          integration: o.integration === false ? false : undefined,
          host: o.onHost,
        }),
      );
      if (o.json) printJson(taskJson(t));
      else println(`Added #${t.id} ${t.title} (${t.state}${t.reason ? `: ${t.reason}` : ''})`);
    });

  task
    .command('list')
    .description('every task in queue order')
    .option('--json', 'print the tasks as JSON')
    .action(async (o: { json?: boolean }) => {
      const tasks = await withClient((c) => c.call('task.list', {}));
      if (o.json) printJson(tasks.map(taskJson));
      else println(tasksTable(tasks));
    });

  task
    .command('show')
    .description('one task in full')
    .argument('<id>', 'task id (3 or #3)')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      if (o.json) {
        printJson(taskJson(await withClient((c) => c.call('task.show', { id: parseTaskId(id) }))));
        return;
      }
      println(taskDetailText(await withClient((c) => c.call('task.detail', { id: parseTaskId(id) }))));
    });

  task
    .command('cancel')
    .description('cancel a task: its agent is stopped and its work archived, never deleted')
    .argument('<id>', 'task id')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const t = await withClient((c) => c.call('task.cancel', { id: parseTaskId(id) }));
      if (o.json) printJson(taskJson(t));
      else println(`Cancelled #${t.id} ${t.title}`);
    });

  task
    .command('move')
    .description('reorder the queue')
    .argument('<id>', 'task id')
    .option('--up', 'one place earlier')
    .option('--down', 'one place later')
    .option('--top', 'to the front')
    .option('--to <n>', 'to position n (1 is the front)')
    .option('--json', 'print the queue as JSON')
    .action(async (id: string, o: { up?: boolean; down?: boolean; top?: boolean; to?: string; json?: boolean }) => {
      const chosen = [o.up && 'up', o.down && 'down', o.top && 'top', o.to !== undefined && 'to'].filter(Boolean);
      if (chosen.length !== 1) throw new MusterError('bad-input', 'Say where to move the task with exactly one of --up, --down, --top or --to N.');
      let move: { kind: 'up' } | { kind: 'down' } | { kind: 'top' } | { kind: 'to'; position: number };
      if (o.to !== undefined) {
        const position = Number(o.to);
        if (!Number.isInteger(position)) throw new MusterError('bad-input', `--to takes a position such as 1, not "${o.to}".`);
        move = { kind: 'to', position };
      } else move = { kind: chosen[0] as 'up' | 'down' | 'top' };
      const tasks = await withClient((c) => c.call('task.move', { id: parseTaskId(id), move }));
      if (o.json) printJson(tasks.map(taskJson));
      else println(tasksTable(tasks.filter((t) => t.position !== null)));
    });

  task
    .command('assign')
    .description('give a task another agent; a running one restarts in the same worktree with a hand-off note')
    .argument('<id>', 'task id')
    .requiredOption('--agent <name>', 'agent preset')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { agent: string; json?: boolean }) => {
      const { t, paused } = await withClient(async (c) => {
        const t = await c.call('task.assign', { id: parseTaskId(id), agent: o.agent });
        // A running task was stopped and went back to the queue: it restarts only if dispatch runs.
        const restarting = t.state === 'ready' && t.sessions.length > 0;
        return { t, paused: restarting && (await c.call('status', {})).paused };
      });
      if (o.json) printJson(taskJson(t));
      else if (paused)
        println(
          `#${t.id} is now assigned to ${t.agent}. Its agent stopped, and dispatch is paused: ${t.agent} starts in the same worktree once you run "muster resume".`,
        );
      else
        println(
          `#${t.id} is now assigned to ${t.agent}${t.state === 'ready' && t.sessions.length > 0 ? `; ${t.agent} starts in the same worktree with a hand-off note` : ''}.`,
        );
    });
  return task;
}
