import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, MusterError } from '../../protocol/errors.js';
import { parseTaskId } from '../args.js';
import { printJson, println, taskJson } from '../output.js';
import { withClient } from '../session.js';

export function registerContextCommands(program: Command, task: Command): void {
  const context = program.command('context').description('the shared context document agents and the operator write to');

  context
    .command('add')
    .description('append "- [#id HH:MM] text" under a section (patterns, decisions, blockers, or any name)')
    .argument('<text>', 'what to record')
    .option('--section <name>', 'section: patterns, decisions, blockers or another heading', 'patterns')
    .option('--task <id>', 'write as this task (default: the task of this worktree, else the operator)')
    .option('--json', 'print the result as JSON')
    .action(async (text: string, o: { section: string; task?: string; json?: boolean }) => {
      const r = await withClient((c) => c.call('context.add', { text, section: o.section, task: o.task === undefined ? undefined : parseTaskId(o.task) }));
      if (o.json) printJson(r);
      else println(`Added under "${r.section}": ${r.entry}`);
    });

  context
    .command('show')
    .description('print the shared context, or one section of it')
    .option('--section <name>', 'only this section')
    .option('--json', 'print as JSON, with blockers and the unread count')
    .action(async (o: { section?: string; json?: boolean }) => {
      const r = await withClient((c) => c.call('context.show', { section: o.section }));
      if (o.json) printJson(r);
      else println(r.text.endsWith('\n') ? r.text.slice(0, -1) : r.text);
    });

  context
    .command('ack')
    .description('acknowledge the blockers, so the header stops counting them')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await withClient((c) => c.call('context.ack', {}));
      if (o.json) printJson(r);
      else println('Blockers acknowledged.');
    });

  task
    .command('import')
    .description('one task per track of a spec (## Parallel Tracks, files as writes); ## Shared Resources read-locked for the parallel phase')
    .argument('<spec>', 'the markdown spec file')
    .option('--json', 'print the tasks and locks as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      let markdown: string;
      try {
        markdown = readFileSync(resolve(file), 'utf8');
      } catch (e) {
        throw new MusterError('bad-input', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
      }
      const r = await withClient((c) => c.call('task.import', { name: basename(file), markdown }));
      if (o.json) {
        printJson({ tasks: r.tasks.map(taskJson), locks: r.locks });
        return;
      }
      for (const t of r.tasks) println(`Added #${t.id} ${t.title} (writes ${t.writes.join(', ')})`);
      if (r.locks.length) println(`Read-locked for the parallel phase: ${r.locks.map((l) => l.resource).join(', ')}`);
      process.exitCode = EXIT.ok;
    });
}
