import { getTask } from '../../core/task-queue.js';
import { branchChanges } from '../../adapters/git/branch-changes.js';
import { branchExists } from '../../adapters/git/worktrees.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Services } from '../services.js';
import { taskShow } from './task-handlers.js';

/**
 * One task in full for the detail view: its commits and files since its base (what it made,
 * landed or not), what is left uncommitted, the last merge attempt, its conflicts, its locks.
 */
export async function taskDetail(sup: Services, p: ParsedParamsOf<'task.detail'>): Promise<ResultOf<'task.detail'>> {
  // With its prompt's text, as task show has it.
  const view = taskShow(sup, { id: p.id });
  const task = getTask(sup.cell.state, p.id)!;
  const repo = sup.cell.ctx.paths.repo.mainRoot;
  const branch = task.branch && (await branchExists(repo, task.branch, sup.cell.ctx.paths.repo.commonDir)) ? task.branch : null;
  const from = task.base ?? (await sup.cell.targetTip());
  return {
    task: view,
    ...(await branchChanges(repo, from, branch, task.worktree)),
    result: sup.cell.state.mergeResults.find((r) => r.task === p.id) ?? null,
    conflicts: sup.scanner.conflicts.filter((c) => c.tasks.includes(p.id)),
    commitRefused: sup.cell.commitRefusals.get(p.id) ?? null,
    locks: sup.locks.views().filter((l) => 'task' in l.owner && l.owner.task === p.id),
  };
}
