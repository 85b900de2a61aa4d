import { stripVTControlCharacters } from 'node:util';
import type { Command } from 'commander';
import { connect } from '../../client/connect.js';
import { failingPart } from '../../core/gate-output.js';
import { EXIT } from '../../protocol/errors.js';
import type { ResultOf } from '../../protocol/methods.js';
import { mergeStepWords } from '../../protocol/merge-steps.js';
import { nextStepAfter, nextStepCommand } from '../../protocol/next-step.js';
import type { ConflictView, MergeEntry } from '../../protocol/shapes.js';
import { parseTaskId } from '../args.js';
import { printError, printJson, println, table, taskJson } from '../output.js';
import { withClient } from '../session.js';
import { parseTopicEvent } from '../../protocol/topics.js';

export function conflictsTable(conflicts: ConflictView[]): string {
  if (!conflicts.length) return 'No conflicts.';
  return table(
    ['KIND', 'TASKS', 'DETAIL'],
    conflicts.map((c) => [c.kind, c.tasks.map((t) => `#${t}`).join(' '), c.detail]),
  );
}

function entryText(e: MergeEntry, n: number): string {
  const t = e.task;
  const lines = [
    `${n}. #${t.id} ${t.title}  (${t.risk} risk, ${e.commits.length} commit${e.commits.length === 1 ? '' : 's'}, ${e.files.length} file${e.files.length === 1 ? '' : 's'})`,
  ];
  if (e.result && !e.result.landed) {
    const step = nextStepAfter(e.result.reason);
    lines.push(`   last attempt: ${e.result.message}${step ? ` ${nextStepCommand(step, t.id)}` : ''}`);
  }
  for (const c of e.conflicts) lines.push(`   ${c.kind}: ${c.detail}`);
  if (e.uncommitted.length) lines.push(`   not committed, so not merged: ${e.uncommitted.slice(0, 5).join(', ')}${e.uncommitted.length > 5 ? ', …' : ''}`);
  if (e.uncommitted.length && e.commitRefused)
    lines.push(`   the commit guard refused its commit at ${new Date(e.commitRefused.at).toTimeString().slice(0, 5)}: ${e.commitRefused.details.join('; ')}`);
  return lines.join('\n');
}

export function registerMergeCommands(program: Command): void {
  program
    .command('conflicts')
    .description('conflicts found while agents work: overlap, merge, lock, undeclared, stale, port')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const conflicts = await withClient((c) => c.call('conflicts', { fresh: true }));
      if (o.json) printJson(conflicts);
      else println(conflictsTable(conflicts));
    });

  const merge = program.command('merge').description('the merge queue: tasks in review, landed through quality gates');

  merge
    .command('list')
    .description('the merge queue in order, with commits, files, findings and the last attempt')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await withClient((c) => c.call('merge.list', {}));
      if (o.json) {
        printJson({ ...r, queue: r.queue.map((e) => ({ ...e, task: taskJson(e.task) })) });
        return;
      }
      println(`Target ${r.target}${r.tip ? ` @ ${r.tip.slice(0, 10)}` : ''}${r.running ? ` · merging #${r.running}` : ''}`);
      println(r.queue.length ? r.queue.map((e, i) => entryText(e, i + 1)).join('\n') : 'Nothing to merge: no task is in review.');
    });

  merge
    .command('approve')
    .description('merge onto the target tip in an integration worktree, run every gate there, and move the target only if all pass')
    .argument('<id>', 'task id')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const task = parseTaskId(id);
      const { client } = await connect();
      let r: ResultOf<'merge.approve'>;
      try {
        // Each step and gate as it starts, on stderr: a gate run can take minutes.
        const progress = approveProgress(task, (line) => printError(line));
        client.onEvent((e) => {
          const t = parseTopicEvent(e);
          if (t?.topic === 'task' && t.data.id === task) progress.reason(t.data.reason);
        });
        await client.call('subscribe', { topics: ['task'] });
        r = await client.call('merge.approve', { id: task });
        progress.finished(r);
      } finally {
        client.close();
      }
      if (o.json) printJson(r);
      if (r.landed) {
        if (!o.json) println(`Landed #${task} on ${r.target}: ${r.from.slice(0, 7)} -> ${r.to.slice(0, 7)}${r.warning ? `\n${r.warning}` : ''}`);
        return;
      }
      printError(`muster: ${r.message}`);
      if (r.gate)
        printError(
          `--- the failing part of the ${r.gate.name} gate's output ---\n${failingPart(stripVTControlCharacters(r.gate.output))
            .map((l) => l.text)
            .join('\n')}\n---`,
        );
      const step = nextStepAfter(r.reason);
      if (step) printError(nextStepCommand(step, task));
      process.exitCode = EXIT.conflict;
    });

  merge
    .command('reject')
    .description('send a task back to its agent with feedback (typed into its session, or a new session)')
    .argument('<id>', 'task id')
    .requiredOption('--reason <text>', 'what the agent should change')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { reason: string; json?: boolean }) => {
      const t = await withClient((c) => c.call('merge.reject', { id: parseTaskId(id), reason: o.reason }));
      if (o.json) printJson(taskJson(t));
      else println(`#${t.id} sent back (${t.state}${t.reason ? `: ${t.reason}` : ''}).`);
    });

  merge
    .command('skip')
    .description('move a task to the back of the merge queue')
    .argument('<id>', 'task id')
    .action(async (id: string) => {
      const q = await withClient((c) => c.call('merge.skip', { id: parseTaskId(id) }));
      println(`Merge queue: ${q.map((x) => `#${x}`).join(' ')}`);
    });

  merge
    .command('undo')
    .description('put the target back where the last landing found it, if nothing else moved it since')
    .option('--json', 'print the result as JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await withClient((c) => c.call('merge.undo', {}));
      if (o.json) printJson(r);
      else println(`Undid the merge of #${r.task}: ${r.target} is back at ${r.to.slice(0, 7)} (was ${r.from.slice(0, 7)}, kept under refs/muster/undone/).`);
    });
}

/**
 * Turns the task's reasons during an approval into progress lines: each step as it starts,
 * and each gate's verdict with its time once the next step (or the result) shows it.
 */
export function approveProgress(task: number, print: (line: string) => void, now: () => number = Date.now) {
  let gate: { name: string; at: number } | null = null;
  let last: string | null = null;
  const endGate = (ok: boolean) => {
    if (gate) print(`#${task}   ${ok ? '✓' : '✗'} gate ${gate.name} ${ok ? 'passed' : 'failed'} (${((now() - gate.at) / 1000).toFixed(1)}s)`);
    gate = null;
  };
  return {
    reason(reason: string | null): void {
      const m = mergeStepWords(reason);
      if (!m || reason === last) return;
      last = reason;
      if (gate && m.gate !== gate.name) endGate(true);
      if (m.gate !== null) gate = { name: m.gate, at: now() };
      // The first two only announce what the next lines say.
      if (m.step !== 'integrating' && m.step !== 'gates') print(`#${task} ${m.words}…${m.attempt ? ` (attempt ${m.attempt})` : ''}`);
    },
    finished(r: ResultOf<'merge.approve'>): void {
      endGate(r.landed || !(r.reason === 'gate-failed' && r.gate?.name === gate?.name));
    },
  };
}
