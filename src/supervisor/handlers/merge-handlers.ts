import { stripVTControlCharacters } from 'node:util';
import { failingPart } from '../../core/gate-output.js';
import { refuseNul } from '../../core/input-text.js';
import { lastLanding } from '../../core/merge-plan.js';
import { getTask } from '../../core/task-queue.js';
import { formatId } from '../../core/task.js';
import { branchChanges } from '../../adapters/git/branch-changes.js';
import { pathExists } from '../../adapters/fs/files.js';
import { branchPatch, uncommittedPaths } from '../../adapters/git/changes.js';
import { readBranchTip } from '../../adapters/git/target-tip.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { MergeEntry } from '../../protocol/shapes.js';
import type { Services } from '../services.js';
import { unwrap } from './refusal.js';
import { runCommand } from './run-command.js';
import { viewOf } from './task-handlers.js';

/** Merges are the operator's call: an agent cannot approve or undo one from its worktree. */
function requireOperator(sup: Services, caller: Caller | undefined, verb: string): void {
  const task = sup.cell.taskOfCaller(caller);
  if (task) throw new MusterError('bad-input', `${verb} is the operator's decision; task ${formatId(task)} cannot ${verb} from its worktree.`);
}

export async function mergeList(sup: Services): Promise<ResultOf<'merge.list'>> {
  const repo = sup.cell.ctx.paths.repo.mainRoot;
  const target = sup.cell.ctx.target;
  const tip = await readBranchTip(repo, sup.cell.ctx.paths.repo.commonDir, target);
  const queue: MergeEntry[] = [];
  // The task being merged stays listed, first, while its approval runs.
  const running = sup.cell.state.mergeRun?.task ?? null;
  const ids =
    running !== null && getTask(sup.cell.state, running)?.state === 'merging'
      ? [running, ...sup.merges.queue().filter((x) => x !== running)]
      : sup.merges.queue();
  for (const id of ids) {
    const task = getTask(sup.cell.state, id)!;
    queue.push({
      task: viewOf(sup, id),
      ...(await branchChanges(repo, tip, task.branch, task.worktree)),
      result: sup.cell.state.mergeResults.find((r) => r.task === id) ?? null,
      conflicts: sup.scanner.conflicts.filter((c) => c.tasks.includes(id)),
      commitRefused: sup.cell.commitRefusals.get(id) ?? null,
    });
  }
  const last = lastLanding(sup.cell.state.merges, target);
  const undoable = last && last.record.to === tip ? last.record : null;
  return {
    target,
    tip,
    queue,
    running,
    canUndo: undoable?.task ?? null,
    undo: undoable ? { task: undoable.task, from: undoable.to, to: undoable.from } : null,
  };
}

export async function mergeApprove(sup: Services, p: ParsedParamsOf<'merge.approve'>, caller?: Caller): Promise<ResultOf<'merge.approve'>> {
  requireOperator(sup, caller, 'approve a merge');
  const r = await sup.merges.approve(p.id, sup.cell.actorOf(caller), true);
  if (r.landed || r.reason !== 'nothing-to-merge') return r;
  return { ...r, message: `${r.message}${await uncommittedNote(sup, p.id)}` };
}

export async function mergeReject(sup: Services, p: ParsedParamsOf<'merge.reject'>, caller?: Caller): Promise<ResultOf<'merge.reject'>> {
  unwrap(refuseNul('The feedback (--reason)', p.reason));
  await runCommand(sup, {
    kind: 'reject',
    id: p.id,
    feedback: withGateOutput(sup, p.id, p.reason),
    actor: sup.cell.actorOf(caller),
    live: sup.runtime.isRunning(p.id),
  });
  return viewOf(sup, p.id);
}

export async function mergeSkip(sup: Services, p: ParsedParamsOf<'merge.skip'>, caller?: Caller): Promise<ResultOf<'merge.skip'>> {
  return sup.merges.skip(p.id, sup.cell.actorOf(caller));
}

export async function mergeUndo(sup: Services, _p: unknown, caller?: Caller): Promise<ResultOf<'merge.undo'>> {
  requireOperator(sup, caller, 'undo a merge');
  return sup.merges.undo(sup.cell.actorOf(caller));
}

/** The change a merge would bring: the branch against the target, from their merge base. */
export async function mergeDiff(sup: Services, p: ParsedParamsOf<'merge.diff'>): Promise<ResultOf<'merge.diff'>> {
  const task = getTask(sup.cell.state, p.id);
  if (!task?.branch) throw new MusterError('not-found', `${formatId(p.id)} has no branch to show.`);
  const repo = sup.cell.ctx.paths.repo.mainRoot;
  return { diff: await branchPatch(repo, sup.cell.ctx.target, task.branch), base: sup.cell.ctx.target };
}

/**
 * The operator's feedback, with the failing part of the gate output when the last attempt
 * failed on a gate: "r sends it back with the output" is what the merge view promised. Sent
 * once per attempt; a second rejection of the same attempt carries the operator's words only.
 */
function withGateOutput(sup: Services, id: number, reason: string): string {
  const result = sup.cell.state.mergeResults.find((r) => r.task === id);
  const task = getTask(sup.cell.state, id);
  if (!reason.trim() || !task || !result || result.landed || !result.gate) return reason;
  const attempt = `(attempt of ${result.at})`;
  if (task.feedback.some((f) => f.includes(attempt))) return reason;
  const part = failingPart(stripVTControlCharacters(result.gate.output)).map((l) => l.text);
  return `${reason.trim()}\n\nThe ${result.gate.name} gate failed on the merged result ${attempt}; the failing part of its output:\n${part.join('\n')}`;
}

/**
 * Why a branch with nothing to merge may still hold work: files left uncommitted in its
 * worktree, and the commit guard's refusal if that is what kept them out.
 */
async function uncommittedNote(sup: Services, id: number): Promise<string> {
  const task = getTask(sup.cell.state, id);
  if (!task?.worktree || !pathExists(task.worktree)) return '';
  const paths = await uncommittedPaths(task.worktree);
  if (!paths.length) return '';
  const refused = sup.cell.commitRefusals.get(id);
  const why = refused ? ` The commit guard refused its commit at ${clock(refused.at)}: ${refused.details.join('; ')}.` : '';
  return ` Its work is not committed: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ` and ${paths.length - 5} more` : ''} ${paths.length === 1 ? 'is' : 'are'} only in its worktree.${why}`;
}

function clock(iso: string): string {
  return new Date(iso).toTimeString().slice(0, 5);
}
