import { holdsWorker, type Task } from './task.js';

/** A machine that runs agents, as dispatch counts it: this one (`null`) or a configured host. */
export interface HostCapacity {
  /** null: this machine (`parallel.max_workers`); else a name under `hosts:` of the config. */
  name: string | null;
  maxWorkers: number;
  /** False for a host whose connection failed and has not come back: nothing new is sent there meanwhile. */
  reachable?: boolean;
}

export type Placement = { ok: true; host: string | null } | { ok: false; reason: string };

/**
 * Where a ready task runs. A task that names a host waits for a worker there. One that does
 * not runs on this machine while it has a free worker (nothing to move over the network),
 * else on the configured host with the most free workers, the first in the config on a tie; a
 * host that cannot be reached now is passed over (one named waits for it).
 * A task that has a worktree on this machine already stays on it. `busy` counts the workers
 * each machine's running tasks hold now.
 */
export function placeTask(
  task: { host: string | null; worktree?: string | null },
  hosts: readonly HostCapacity[],
  busy: ReadonlyMap<string | null, number>,
): Placement {
  const free = (h: HostCapacity): number => h.maxWorkers - (busy.get(h.name) ?? 0);
  // A task with a worktree here (a retry, a rejection) stays here: its work, committed or not, is in that worktree.
  if (task.host === null && task.worktree) {
    const here = hosts.find((h) => h.name === null);
    return here && free(here) > 0 ? { ok: true, host: null } : { ok: false, reason: 'waits for a worker (its worktree is on this machine)' };
  }
  if (task.host !== null) {
    const named = hosts.find((h) => h.name === task.host);
    if (!named) return { ok: false, reason: `host "${task.host}" is not under hosts: in the config; add it, or give the task another host` };
    if (named.reachable === false) return { ok: false, reason: `waits for host ${named.name} to be reachable again` };
    return free(named) > 0 ? { ok: true, host: named.name } : { ok: false, reason: `waits for a worker on ${named.name}` };
  }
  let best: HostCapacity | null = null;
  for (const h of hosts) {
    if (free(h) <= 0 || h.reachable === false) continue;
    if (h.name === null) return { ok: true, host: null };
    if (!best || free(h) > free(best)) best = h;
  }
  return best ? { ok: true, host: best.name } : { ok: false, reason: 'waits for a worker' };
}

/**
 * The workers each machine's tasks hold now (null: this machine, else a host's name): its
 * running tasks, the ones in review whose agent still runs, and the ones stalled on a host that
 * went away while their agent runs on there. Each machine's count is against its own cap
 * (`parallel.max_workers` here, `max_workers` of the host), never the sum against one.
 */
export function workersInUse(tasks: readonly Pick<Task, 'state' | 'sessions' | 'host'>[]): Map<string | null, number> {
  const busy = new Map<string | null, number>();
  for (const t of tasks) if (holdsWorker(t)) busy.set(t.host, (busy.get(t.host) ?? 0) + 1);
  return busy;
}
