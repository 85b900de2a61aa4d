import { transition, updateTask } from '../core/task-queue.js';
import type { MusterState } from '../core/state.js';
import { archiveTaskWork } from '../adapters/git/snapshot.js';
import { listWorktrees, pruneWorktrees, unlockWorktree, type WorktreeEntry } from '../adapters/git/worktrees.js';
import { describeProcesses } from '../adapters/proc/process-groups.js';
import type { ProcStat } from '../adapters/proc/proc-table.js';
import { isSameProcessAlive } from '../adapters/proc/process-info.js';
import type { ProcessWarden } from './process-warden.js';
import type { AuditInput, StateCell } from './state-cell.js';
import { worktreesRoot } from './launch.js';
import { pathExists } from '../adapters/fs/files.js';

/**
 * Stops every process the previous supervisor's runs left — agents that ignored SIGTERM and
 * SIGHUP, what they started with setsid or nohup, a quality gate — and waits until they are
 * gone (SIGKILL after the grace). Nobody can talk to them any more, and a retry must never
 * start a second agent beside one. Returns, by task, what could not be stopped.
 */
async function stopPreviousRun(sup: StateCell, warden: ProcessWarden, events: AuditInput[], going: ReadonlySet<number>): Promise<Map<number, ProcStat[]>> {
  const left = new Map<number, ProcStat[]>();
  if (!warden.enabled) {
    for (const task of sup.state.tasks) {
      const last = task.sessions[task.sessions.length - 1];
      // A task on another host has its pids there.
      if (going.has(task.id) || task.host) continue;
      if (last && last.endedAt === null && last.pid && isSameProcessAlive(last.pid, last.pidStart)) {
        try {
          process.kill(-last.pid, 'SIGTERM');
        } catch {
          // gone meanwhile
        }
      }
    }
    return left;
  }
  const survivors = await warden.stopEverything(
    sup.state.tasks,
    sup.integrationPath,
    sup.state.tasks.filter((t) => going.has(t.id)),
  );
  for (const p of survivors) {
    const task = warden.taskOf(p);
    if (task !== null) left.set(task, [...(left.get(task) ?? []), p]);
  }
  if (survivors.length)
    events.push({ actor: 'supervisor', kind: 'processes-survived', details: { processes: survivors.map((p) => ({ pid: p.pid, comm: p.comm })) } });
  return left;
}

/**
 * Squares the store with reality after a start: what the previous supervisor's runs left is
 * stopped, agents that died with it leave their tasks `stalled`, and worktrees are checked
 * against `git worktree list --porcelain`. The tasks in `going` keep running: their agents
 * live on in the terminal worker, and this supervisor takes them over.
 */
export async function reconcile(sup: StateCell, warden: ProcessWarden, going: ReadonlySet<number> = new Set()): Promise<void> {
  const now = sup.now();
  const events: AuditInput[] = [];
  // Waiters were requests of clients connected to the previous supervisor; they are gone.
  let next: MusterState = sup.state.locks.waiters.length ? { ...sup.state, locks: { ...sup.state.locks, waiters: [] } } : sup.state;
  const mainRoot = sup.ctx.paths.repo.mainRoot;
  const survivors = await stopPreviousRun(sup, warden, events, going);

  for (const task of sup.state.tasks) {
    if (going.has(task.id)) continue;
    const last = task.sessions[task.sessions.length - 1];
    const openSession = last && last.endedAt === null;
    if (task.host && task.state === 'running' && openSession && last.pid !== null) {
      // Its agent runs on another host, whose worker outlives this supervisor: stalled until the host is reached again (RemoteHosts.resume).
      const moved = transition(next, task.id, 'stalled', now, `host away: reconnecting to ${task.host} after the supervisor restarted`);
      if (moved.ok) {
        next = moved.value;
        events.push({ actor: 'supervisor', kind: 'task-stalled', details: { task: task.id, why: 'supervisor restarted', host: task.host } });
      }
      continue;
    }
    if (openSession) {
      next = updateTask(
        next,
        task.id,
        { sessions: task.sessions.map((s) => (s === last ? { ...s, endedAt: now } : s)), activity: { status: 'exited', since: now, source: 'heuristic' } },
        now,
      );
    }
    const alive = survivors.get(task.id);
    if (task.state === 'running') {
      const why = alive
        ? `its previous run is still alive and could not be stopped (${describeProcesses(alive)}); retry refuses until it is gone`
        : 'its agent died with the previous supervisor; retry restarts it';
      const moved = transition(next, task.id, 'stalled', now, why);
      if (moved.ok) {
        next = moved.value;
        events.push({ actor: 'supervisor', kind: 'task-stalled', details: { task: task.id, why: 'supervisor restarted' } });
      }
    }
  }

  // Worktrees whose directory vanished: drop their (locked) registrations; the branch keeps the
  // work, and a detached HEAD is kept under an archive ref first (pruning would drop it).
  const root = worktreesRoot(sup.config, mainRoot);
  const gone = (await listWorktrees(mainRoot)).filter((w) => w.path.startsWith(`${root}/`) && !pathExists(w.path));
  await keepDetachedHeads(sup, gone);
  for (const w of gone) {
    await unlockWorktree(mainRoot, w.path);
    events.push({ actor: 'supervisor', kind: 'worktree-pruned', details: { path: w.path } });
  }
  await pruneWorktrees(mainRoot);
  const live = new Set((await listWorktrees(mainRoot)).map((w) => w.path));
  for (const task of next.tasks) {
    // Merged and cancelled tasks too: a landing killed after removing the worktree must not name it.
    if (task.worktree && !live.has(task.worktree) && task.sessions.length) {
      next = updateTask(next, task.id, { worktree: null }, now);
      events.push({ actor: 'supervisor', kind: 'worktree-missing', details: { task: task.id, path: task.worktree } });
    }
  }
  if (next !== sup.state || events.length) await sup.apply(next, events);
}

/** Keeps the HEAD of each detached worktree registration under its task's archive refs, before `git worktree prune` drops it. */
export async function keepDetachedHeads(sup: StateCell, entries: WorktreeEntry[]): Promise<void> {
  for (const w of entries) {
    if (w.branch || !w.head) continue;
    const id = Number(/task-(\d+)$/.exec(w.path)?.[1] ?? 0);
    await archiveTaskWork(sup.ctx.paths.repo.mainRoot, id, { worktree: null, branch: null, head: w.head }, 'its worktree directory vanished', {
      exclude: sup.config.worktrees.archive_exclude,
    });
  }
}
