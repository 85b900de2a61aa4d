import { existsSync } from 'node:fs';
import { updateTask } from '../../core/task-queue.js';
import type { TaskState } from '../../core/task.js';
import { archiveTaskWork } from '../../adapters/git/snapshot.js';
import { listWorktrees, removeWorktree, withWorktreeRegistry } from '../../adapters/git/worktrees.js';
import { runGit } from '../../adapters/git/git.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Supervisor } from '../supervisor.js';
import { worktreesRoot } from '../launch.js';

/**
 * Removes the worktrees of merged and cancelled tasks (with --force also failed and stalled
 * ones, and muster worktrees no task knows), each only after its work is archived under
 * refs/muster/archive/; prunes registrations whose directory is gone.
 */
export async function gc(sup: Supervisor, p: ParsedParamsOf<'gc'>, caller?: Caller): Promise<ResultOf<'gc'>> {
  const mainRoot = sup.ctx.paths.repo.mainRoot;
  const collectable: TaskState[] = p.force ? ['merged', 'cancelled', 'failed', 'stalled'] : ['merged', 'cancelled'];
  const removed: ResultOf<'gc'>['removed'] = [];
  const kept: ResultOf<'gc'>['kept'] = [];
  const actor = sup.actorOf(caller);

  for (const task of sup.state.tasks) {
    if (!task.worktree) continue;
    if (!collectable.includes(task.state)) {
      if (['failed', 'stalled'].includes(task.state)) kept.push({ task: task.id, path: task.worktree, why: `${task.state}; "muster gc --force" removes it after archiving` });
      continue;
    }
    if (sup.runtime.isRunning(task.id)) {
      kept.push({ task: task.id, path: task.worktree, why: 'its agent is still running' });
      continue;
    }
    const archive = existsSync(task.worktree) || task.branch ? await archiveTaskWork(mainRoot, task.id, { worktree: existsSync(task.worktree) ? task.worktree : null, branch: task.branch }, 'gc') : null;
    await removeWorktree(mainRoot, task.worktree);
    removed.push({ task: task.id, path: task.worktree, archive: archive?.ref ?? null });
    await sup.apply(updateTask(sup.state, task.id, { worktree: null, ports: null }, sup.now()), [
      { actor, kind: 'worktree-removed', details: { task: task.id, path: task.worktree, archive: archive?.ref ?? null, commit: archive?.commit ?? null } },
    ]);
  }

  const root = worktreesRoot(sup.config, mainRoot);
  const known = new Set(sup.state.tasks.map((t) => t.worktree).filter(Boolean));
  let pruned = 0;
  for (const w of await listWorktrees(mainRoot)) {
    if (!w.path.startsWith(`${root}/`) || known.has(w.path)) continue;
    if (!existsSync(w.path)) {
      await runGit(mainRoot, ['worktree', 'unlock', w.path]);
      pruned++;
      continue;
    }
    if (!p.force) {
      kept.push({ task: null, path: w.path, why: 'no task owns it; "muster gc --force" archives and removes it' });
      continue;
    }
    const id = Number(/task-(\d+)$/.exec(w.path)?.[1] ?? 0);
    const archive = await archiveTaskWork(mainRoot, id, { worktree: w.path, branch: w.branch }, 'gc of an orphan worktree');
    await removeWorktree(mainRoot, w.path);
    removed.push({ task: id, path: w.path, archive: archive?.ref ?? null });
  }
  await withWorktreeRegistry(mainRoot, () => runGit(mainRoot, ['worktree', 'prune']));
  return { removed, kept, pruned };
}
