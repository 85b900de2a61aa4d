import { lockState, type Lock, type LockTable } from './lock-table.js';
import type { TaskId } from './task.js';

const plusMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/**
 * Leases of the locks held by tasks on other hosts. The supervisor cannot see a host's agent:
 * only the host's worker, over its ssh connection, says the task's agent is still there. Each
 * such lock carries a lease that the worker's word renews; a host that stays away lets it
 * lapse, and the lock turns `stale` (it still blocks, but may be taken over or stolen like a
 * lock whose TTL lapsed). A host that comes back renews it, active again if nobody took it.
 */

/** How a lease renewal changed the table: the locks renewed, and those among them that had lapsed. */
export interface LeaseRenewal {
  table: LockTable;
  renewed: Lock[];
  revived: Lock[];
}

/**
 * Renews the leases of every lock `tasks` hold: `now + leaseMs`. A lock with no lease yet gets
 * one. A lease with more than half of it left is left as it is, so a worker that renews every
 * quarter lease costs a state write every other time, not each time; one with more left than a
 * whole lease (the lease was shortened in the config) is cut to the new length, or a host that
 * goes away would hold its locks for the old one.
 */
export function renewLeases(table: LockTable, tasks: ReadonlySet<TaskId>, leaseMs: number, now: string): LeaseRenewal {
  const renewed: Lock[] = [];
  const revived: Lock[] = [];
  const until = plusMs(now, leaseMs);
  const locks = table.locks.map((l) => {
    if (l.owner.kind !== 'task' || !tasks.has(l.owner.task)) return l;
    const left = l.leaseUntil ? Date.parse(l.leaseUntil) - Date.parse(now) : -1;
    if (left > leaseMs / 2 && left <= leaseMs) return l;
    const next = { ...l, leaseUntil: until };
    renewed.push(next);
    if (l.leaseUntil && lockState(l, now) === 'stale' && lockState(next, now) === 'active') revived.push(next);
    return next;
  });
  return renewed.length ? { table: { ...table, locks }, renewed, revived } : { table, renewed, revived };
}

/**
 * Puts a lease on each lock that has none and whose task `leaseOf` says has its agent on a
 * host (granted since the last look: by a call through the host, or declared at dispatch), so
 * a host that goes away before its first renewal still lets its locks lapse. A lock whose task
 * no longer has an agent there (its agent exited: review, failed) loses its lease: it is held
 * as a local task's is, until the task lands or goes.
 */
export function settleLeases(table: LockTable, leaseOf: (task: TaskId) => number | null, now: string): { table: LockTable; started: Lock[]; ended: Lock[] } {
  const started: Lock[] = [];
  const ended: Lock[] = [];
  const locks = table.locks.map((l) => {
    if (l.owner.kind !== 'task') return l;
    const ms = leaseOf(l.owner.task);
    if (ms === null) {
      if (!l.leaseUntil) return l;
      const next = { ...l, leaseUntil: null };
      ended.push(next);
      return next;
    }
    if (l.leaseUntil) return l;
    const next = { ...l, leaseUntil: plusMs(now, ms) };
    started.push(next);
    return next;
  });
  return started.length || ended.length ? { table: { ...table, locks }, started, ended } : { table, started, ended };
}

/**
 * A supervisor that starts again gives every leased lock a full lease from now: while it was
 * down no host could renew, through no fault of the host's, and each host gets a whole lease to
 * reconnect before its locks may lapse. A lock whose task no longer has an agent there is left
 * to settleLeases.
 */
export function restartLeases(table: LockTable, leaseOf: (task: TaskId) => number | null, now: string): { table: LockTable; restarted: Lock[] } {
  const restarted: Lock[] = [];
  const locks = table.locks.map((l) => {
    if (l.owner.kind !== 'task' || !l.leaseUntil) return l;
    const ms = leaseOf(l.owner.task);
    if (ms === null) return l;
    const next = { ...l, leaseUntil: plusMs(now, ms) };
    restarted.push(next);
    return next;
  });
  return restarted.length ? { table: { ...table, locks }, restarted } : { table, restarted };
}
