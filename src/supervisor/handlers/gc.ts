import { isCollectable } from '../../core/task-states.js';
import { updateTask } from '../../core/task-queue.js';
import { archiveTaskWork } from '../../adapters/git/snapshot.js';
import { describeProcesses } from '../../adapters/proc/process-groups.js';
import { listWorktrees, pruneWorktrees, removeWorktree, unlockWorktree } from '../../adapters/git/worktrees.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Services } from '../services.js';
import { worktreesRoot } from '../launch.js';
import { keepDetachedHeads } from '../reconcile.js';
import { pauseAt } from '../../adapters/proc/test-pause.js';
import { pathExists } from '../../adapters/fs/files.js';

/**
 * Removes the worktrees of merged and cancelled tasks (with --force also failed and stalled
 * ones, and muster worktrees no task knows), each only once a snapshot of everything in it is
 * kept under refs/muster/archive/ (a worktree whose snapshot cannot be shown complete is kept,
 * with the reason); prunes registrations whose directory is gone.
 */
export async function gc(sup: Services, p: ParsedParamsOf<'gc'>, caller?: Caller): Promise<ResultOf<'gc'>> {
  const mainRoot = sup.cell.ctx.paths.repo.mainRoot;
  const removed: ResultOf<'gc'>['removed'] = [];
  const kept: ResultOf<'gc'>['kept'] = [];
  const actor = sup.cell.actorOf(caller);
  const exclude = sup.cell.config.worktrees.archive_exclude;

  for (const task of sup.cell.state.tasks) {
    if (!task.worktree) continue;
    if (!isCollectable(task.state, p.force)) {
      if (isCollectable(task.state, true))
        kept.push({ task: task.id, path: task.worktree, why: `${task.state}; "muster gc --force" removes it after archiving` });
      continue;
    }
    if (sup.runtime.isRunning(task.id)) {
      kept.push({ task: task.id, path: task.worktree, why: 'its agent is still running' });
      continue;
    }
    // What its runs left behind (setsid, nohup) goes before its worktree does.
    const alive = await sup.runtime.stop(task.id);
    if (alive.length) {
      kept.push({ task: task.id, path: task.worktree, why: `processes of its run are still alive after SIGKILL (${describeProcesses(alive)})` });
      continue;
    }
    await pauseAt(sup.cell, 'gc:archive');
    const archive = await archiveTaskWork(mainRoot, task.id, { worktree: task.worktree, branch: task.branch }, 'gc', { exclude });
    if (!archive.ok) {
      kept.push({ task: task.id, path: task.worktree, why: `not removed: ${archive.reason}; nothing was deleted` });
      sup.cell.audit([{ actor, kind: 'worktree-kept', details: { task: task.id, path: task.worktree, why: archive.reason } }]);
      continue;
    }
    await pauseAt(sup.cell, 'gc:remove');
    const failed = await removeWorktree(mainRoot, archive.kept).then(
      () => null,
      (e: unknown) => (e as Error).message,
    );
    if (failed) {
      kept.push({ task: task.id, path: task.worktree, why: `archived at ${archive.ref ?? 'no ref'}, but removing it failed: ${failed}` });
      continue;
    }
    removed.push({ task: task.id, path: task.worktree, archive: archive.ref });
    await sup.cell.apply(updateTask(sup.cell.state, task.id, { worktree: null, ports: null }, sup.cell.now()), [
      {
        actor,
        kind: 'worktree-removed',
        details: {
          task: task.id,
          path: task.worktree,
          archive: archive.ref,
          commit: archive.commit,
          nested: archive.nested,
          skipped: archive.skipped,
          reflog: archive.reflog,
        },
      },
    ]);
  }

  const root = worktreesRoot(sup.cell.config, mainRoot);
  const known = new Set(sup.cell.state.tasks.map((t) => t.worktree).filter(Boolean));
  let pruned = 0;
  const orphans = (await listWorktrees(mainRoot)).filter((w) => w.path.startsWith(`${root}/`) && !known.has(w.path));
  const gone = orphans.filter((w) => !pathExists(w.path));
  await keepDetachedHeads(sup.cell, gone);
  for (const w of gone) {
    await unlockWorktree(mainRoot, w.path);
    pruned++;
  }
  for (const w of orphans) {
    if (gone.includes(w)) continue;
    if (!p.force) {
      kept.push({ task: null, path: w.path, why: 'no task owns it; "muster gc --force" archives and removes it' });
      continue;
    }
    const id = Number(/task-(\d+)$/.exec(w.path)?.[1] ?? 0);
    const archive = await archiveTaskWork(mainRoot, id, { worktree: w.path, branch: w.branch }, 'gc of an orphan worktree', { exclude });
    if (!archive.ok) {
      kept.push({ task: null, path: w.path, why: `not removed: ${archive.reason}; nothing was deleted` });
      continue;
    }
    const failed = await removeWorktree(mainRoot, archive.kept).then(
      () => null,
      (e: unknown) => (e as Error).message,
    );
    if (failed) {
      kept.push({ task: null, path: w.path, why: `archived at ${archive.ref ?? 'no ref'}, but removing it failed: ${failed}` });
      continue;
    }
    removed.push({ task: id, path: w.path, archive: archive.ref });
  }
  await pruneWorktrees(mainRoot, { bestEffort: true });
  return { removed, kept, pruned };
}
