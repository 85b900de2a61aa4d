import { existsSync } from 'node:fs';
import { transition, updateTask } from '../core/task-queue.js';
import type { MusterState } from '../core/state.js';
import { runGit } from '../adapters/git/git.js';
import { listWorktrees, pruneWorktrees } from '../adapters/git/worktrees.js';
import { isSameProcessAlive } from '../adapters/proc/process-info.js';
import type { AuditInput, Supervisor } from './supervisor.js';
import { worktreesRoot } from './launch.js';

/**
 * Squares the store with reality after a start: agents that died with the previous supervisor
 * leave their tasks `stalled` (an orphan that survived is stopped: nobody can talk to it any
 * more), and worktrees are checked against `git worktree list --porcelain`.
 */
export async function reconcile(sup: Supervisor): Promise<void> {
  const now = sup.now();
  const events: AuditInput[] = [];
  // Waiters were requests of clients connected to the previous supervisor; they are gone.
  let next: MusterState = sup.state.locks.waiters.length ? { ...sup.state, locks: { ...sup.state.locks, waiters: [] } } : sup.state;
  const mainRoot = sup.ctx.paths.repo.mainRoot;

  for (const task of sup.state.tasks) {
    const last = task.sessions[task.sessions.length - 1];
    const openSession = last && last.endedAt === null;
    if (openSession && last.pid && isSameProcessAlive(last.pid, last.pidStart)) {
      try {
        process.kill(-last.pid, 'SIGTERM');
      } catch {
        try {
          process.kill(last.pid, 'SIGTERM');
        } catch {
          // gone meanwhile
        }
      }
    }
    if (openSession) {
      next = updateTask(next, task.id, { sessions: task.sessions.map((s) => (s === last ? { ...s, endedAt: now } : s)), activity: { status: 'exited', since: now, source: 'heuristic' } }, now);
    }
    if (task.state === 'running') {
      const moved = transition(next, task.id, 'stalled', now, 'its agent died with the previous supervisor; retry restarts it');
      if (moved.ok) {
        next = moved.value;
        events.push({ actor: 'supervisor', kind: 'task-stalled', details: { task: task.id, why: 'supervisor restarted' } });
      }
    }
  }

  // Worktrees whose directory vanished: drop their (locked) registrations; the branch keeps the work.
  const root = worktreesRoot(sup.config, mainRoot);
  const registered = await listWorktrees(mainRoot);
  for (const w of registered) {
    if (w.path.startsWith(`${root}/`) && !existsSync(w.path)) {
      await runGit(mainRoot, ['worktree', 'unlock', w.path]);
      events.push({ actor: 'supervisor', kind: 'worktree-pruned', details: { path: w.path } });
    }
  }
  await pruneWorktrees(mainRoot);
  const live = new Set((await listWorktrees(mainRoot)).map((w) => w.path));
  for (const task of next.tasks) {
    if (task.worktree && !live.has(task.worktree) && !['merged', 'cancelled'].includes(task.state) && task.sessions.length) {
      next = updateTask(next, task.id, { worktree: null }, now);
      events.push({ actor: 'supervisor', kind: 'worktree-missing', details: { task: task.id, path: task.worktree } });
    }
  }
  if (next !== sup.state || events.length) await sup.apply(next, events);
}
