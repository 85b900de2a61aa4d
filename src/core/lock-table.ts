import { matchesPath, patternsOverlap } from './glob.js';
import { formatId, type TaskId } from './task.js';

/** `read` is shared, `write` is exclusive. */
export type LockMode = 'read' | 'write';

/**
 * Who holds a lock. Every process of a task shares the task's locks; an operator lock made from
 * a script is owned by a pid together with its start time, so a reused pid is a different owner.
 */
export type LockOwner = { kind: 'task'; task: TaskId } | { kind: 'operator'; pid: number; startTime: string | null };

/** A granted lock. Resources are normalised patterns (see `normalizeResource`). */
export interface Lock {
  resource: string;
  mode: LockMode;
  owner: LockOwner;
  acquiredAt: string;
  /** When its TTL lapses; a lapsed lock is `stale`, which still blocks. Null: no TTL. */
  expiresAt: string | null;
  /** Taken at dispatch from the task's `writes`/`reads`, as opposed to a runtime `muster lock`. */
  declared: boolean;
  /**
   * A lock of a task on another host: held until then unless the host's worker renews it
   * (lock-lease.ts); a lapsed lease makes it `stale`, as a lapsed TTL does. Absent: no lease.
   */
  leaseUntil?: string | null;
}

/** One resource asked for in one mode. */
export interface LockRequest {
  resource: string;
  mode: LockMode;
}

/** A request queued with `--wait`: granted whole, in FIFO order, or expired at its deadline. */
export interface LockWaiter {
  id: number;
  owner: LockOwner;
  requests: LockRequest[];
  ttlMs: number | null;
  enqueuedAt: string;
  deadline: string;
}

/** Every held lock and every queued request, oldest first. */
export interface LockTable {
  locks: Lock[];
  waiters: LockWaiter[];
  nextWaiterId: number;
}

/**
 * Why a request cannot be granted: `resource`/`mode` are what was asked, the rest is what is in
 * the way — a held lock, or (with `waiterId`) a request queued earlier that must go first.
 */
export interface LockConflict {
  resource: string;
  mode: LockMode;
  holder: LockOwner;
  heldResource: string;
  heldMode: LockMode;
  stale: boolean;
  waiterId?: number;
}

/** The outcome of `tryAcquire`: everything granted, or nothing and every reason why. */
export type AcquireResult = { ok: true; table: LockTable; granted: Lock[]; tookOver: Lock[] } | { ok: false; conflicts: LockConflict[] };

export interface AcquireOptions {
  ttlMs?: number | null;
  declared?: boolean;
  /** Whether a stale lock may be given away (its holder's branch does not touch it); decided by the caller. */
  canTakeOver?: (stale: Lock) => boolean;
}

export function emptyLockTable(): LockTable {
  return { locks: [], waiters: [], nextWaiterId: 1 };
}

export function sameOwner(a: LockOwner, b: LockOwner): boolean {
  if (a.kind === 'task') return b.kind === 'task' && a.task === b.task;
  return b.kind === 'operator' && a.pid === b.pid && a.startTime === b.startTime;
}

export function ownerLabel(owner: LockOwner): string {
  if (owner.kind === 'task') return formatId(owner.task);
  // pid 0: a lock of no process — an import's shared resources, or one taken over ssh.
  if (owner.pid === 0) return owner.startTime ? `the operator (${owner.startTime})` : 'the operator';
  return `operator pid ${owner.pid}`;
}

const notLater = (a: string, b: string): boolean => Date.parse(a) <= Date.parse(b);
const plusMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/** Expired is not free: a stale lock keeps blocking until it is taken over, stolen or released. */
export function lockState(lock: Lock, now: string): 'active' | 'stale' {
  const expired = lock.expiresAt !== null && notLater(lock.expiresAt, now);
  const lapsed = lock.leaseUntil !== undefined && lock.leaseUntil !== null && notLater(lock.leaseUntil, now);
  return expired || lapsed ? 'stale' : 'active';
}

function clash(aMode: LockMode, aResource: string, bMode: LockMode, bResource: string): boolean {
  return (aMode === 'write' || bMode === 'write') && patternsOverlap(aResource, bResource);
}

interface Scan {
  conflicts: LockConflict[];
  takeOver: Lock[];
}

/** What stands between `owner` and `requests`: held locks of others, then others' waiters ahead. */
function scan(
  locks: readonly Lock[],
  ahead: readonly LockWaiter[],
  owner: LockOwner,
  requests: readonly LockRequest[],
  now: string,
  canTakeOver?: (stale: Lock) => boolean,
): Scan {
  const conflicts: LockConflict[] = [];
  const verdicts = new Map<Lock, boolean>();
  const mayTake = (lock: Lock): boolean => {
    if (!canTakeOver || lockState(lock, now) !== 'stale') return false;
    if (!verdicts.has(lock)) verdicts.set(lock, canTakeOver(lock));
    return verdicts.get(lock)!;
  };
  for (const { resource, mode } of requests) {
    for (const held of locks) {
      if (sameOwner(held.owner, owner) || !clash(mode, resource, held.mode, held.resource) || mayTake(held)) continue;
      conflicts.push({ resource, mode, holder: held.owner, heldResource: held.resource, heldMode: held.mode, stale: lockState(held, now) === 'stale' });
    }
    for (const waiter of ahead) {
      if (sameOwner(waiter.owner, owner)) continue;
      for (const queued of waiter.requests) {
        if (!clash(mode, resource, queued.mode, queued.resource)) continue;
        conflicts.push({ resource, mode, holder: waiter.owner, heldResource: queued.resource, heldMode: queued.mode, stale: false, waiterId: waiter.id });
      }
    }
  }
  const takeOver = [...verdicts].filter(([, yes]) => yes).map(([lock]) => lock);
  return { conflicts, takeOver };
}

/**
 * Adds or refreshes the owner's locks. A lock the owner already holds on the same resource is
 * refreshed (new expiry) and upgraded to `write` if asked; it is never downgraded. A declared
 * lock keeps its expiry: it lives until its task ends, and a runtime re-lock must not put it on a clock.
 */
function grant(
  locks: readonly Lock[],
  owner: LockOwner,
  requests: readonly LockRequest[],
  now: string,
  ttlMs: number | null,
  declared: boolean,
): { locks: Lock[]; granted: Lock[] } {
  const next = [...locks];
  const granted = new Map<string, Lock>();
  const expiresAt = ttlMs === null ? null : plusMs(now, ttlMs);
  for (const { resource, mode } of requests) {
    const at = next.findIndex((l) => sameOwner(l.owner, owner) && l.resource === resource);
    const old = next[at];
    const lock: Lock = old
      ? { ...old, mode: old.mode === 'write' ? 'write' : mode, declared: old.declared || declared, expiresAt: old.declared ? old.expiresAt : expiresAt }
      : { resource, mode, owner, acquiredAt: now, expiresAt, declared };
    if (old) next[at] = lock;
    else next.push(lock);
    granted.set(resource, lock);
  }
  return { locks: next, granted: [...granted.values()] };
}

/**
 * Grants every request or none. Held locks of other owners block (stale ones too, unless
 * `canTakeOver` gives them away), and so does any queued waiter: a try-lock never overtakes.
 */
export function tryAcquire(table: LockTable, owner: LockOwner, requests: readonly LockRequest[], now: string, opts: AcquireOptions = {}): AcquireResult {
  const { conflicts, takeOver } = scan(table.locks, table.waiters, owner, requests, now, opts.canTakeOver);
  if (conflicts.length > 0) return { ok: false, conflicts };
  const kept = table.locks.filter((l) => !takeOver.includes(l));
  const { locks, granted } = grant(kept, owner, requests, now, opts.ttlMs ?? null, opts.declared ?? false);
  return { ok: true, table: { ...table, locks }, granted, tookOver: takeOver };
}

/** Queues a request until `now + waitMs`; `ttlMs` applies to the locks once granted. */
export function enqueue(
  table: LockTable,
  owner: LockOwner,
  requests: readonly LockRequest[],
  now: string,
  waitMs: number,
  ttlMs: number | null,
): { table: LockTable; waiterId: number } {
  const waiter: LockWaiter = { id: table.nextWaiterId, owner, requests: [...requests], ttlMs, enqueuedAt: now, deadline: plusMs(now, waitMs) };
  return { table: { ...table, waiters: [...table.waiters, waiter], nextWaiterId: waiter.id + 1 }, waiterId: waiter.id };
}

export interface WaiterGrant {
  waiterId: number;
  owner: LockOwner;
  locks: Lock[];
}

/**
 * Grants queued requests in FIFO order. A waiter goes when neither a holder nor an earlier,
 * still-waiting waiter conflicts with it; a later waiter that conflicts with nobody may pass a
 * blocked one. Waiters past their deadline are neither granted nor in anyone's way — they
 * belong to `expireWaiters`.
 */
export function grantWaiters(
  table: LockTable,
  now: string,
  canTakeOver?: (stale: Lock) => boolean,
): { table: LockTable; granted: WaiterGrant[]; tookOver: Lock[] } {
  let locks = table.locks;
  const waiters: LockWaiter[] = [];
  const ahead: LockWaiter[] = [];
  const granted: WaiterGrant[] = [];
  const tookOver: Lock[] = [];
  for (const waiter of table.waiters) {
    if (notLater(waiter.deadline, now)) {
      waiters.push(waiter);
      continue;
    }
    const found = scan(locks, ahead, waiter.owner, waiter.requests, now, canTakeOver);
    if (found.conflicts.length > 0) {
      waiters.push(waiter);
      ahead.push(waiter);
      continue;
    }
    const result = grant(
      locks.filter((l) => !found.takeOver.includes(l)),
      waiter.owner,
      waiter.requests,
      now,
      waiter.ttlMs,
      false,
    );
    locks = result.locks;
    tookOver.push(...found.takeOver);
    granted.push({ waiterId: waiter.id, owner: waiter.owner, locks: result.granted });
  }
  return { table: { ...table, locks, waiters }, granted, tookOver };
}

/** Removes waiters whose deadline has come. */
export function expireWaiters(table: LockTable, now: string): { table: LockTable; expired: LockWaiter[] } {
  const expired = table.waiters.filter((w) => notLater(w.deadline, now));
  return { table: { ...table, waiters: table.waiters.filter((w) => !expired.includes(w)) }, expired };
}

export function cancelWaiter(table: LockTable, waiterId: number): { table: LockTable; cancelled: LockWaiter | null } {
  const cancelled = table.waiters.find((w) => w.id === waiterId) ?? null;
  return { table: { ...table, waiters: table.waiters.filter((w) => w.id !== waiterId) }, cancelled };
}

/**
 * Releases the owner's locks on exactly these resources (string equality after normalisation:
 * releasing `src/**` does not release a separate lock on `src/a.ts`). Whether declared locks may
 * be released this way is the caller's policy.
 */
export function release(table: LockTable, owner: LockOwner, resources: readonly string[] | 'all'): { table: LockTable; released: Lock[]; notHeld: string[] } {
  const wanted = (l: Lock): boolean => sameOwner(l.owner, owner) && (resources === 'all' || resources.includes(l.resource));
  const released = table.locks.filter(wanted);
  const notHeld = resources === 'all' ? [] : [...new Set(resources)].filter((r) => !released.some((l) => l.resource === r));
  return { table: { ...table, locks: table.locks.filter((l) => !wanted(l)) }, released, notHeld };
}

/** Everything an owner has: its locks and its queued requests (a task ended, a script died). */
export function releaseOwner(table: LockTable, owner: LockOwner): { table: LockTable; released: Lock[]; cancelled: LockWaiter[] } {
  const released = table.locks.filter((l) => sameOwner(l.owner, owner));
  const cancelled = table.waiters.filter((w) => sameOwner(w.owner, owner));
  return {
    table: { ...table, locks: table.locks.filter((l) => !released.includes(l)), waiters: table.waiters.filter((w) => !cancelled.includes(w)) },
    released,
    cancelled,
  };
}

/**
 * The operator's override: every other owner's lock that overlaps `resource`, in any mode, is
 * removed, and `newOwner` gets `resource` for writing. Bypasses the queue on purpose.
 */
export function steal(table: LockTable, resource: string, newOwner: LockOwner, now: string): { table: LockTable; stolen: Lock[]; lock: Lock } {
  const stolen = table.locks.filter((l) => !sameOwner(l.owner, newOwner) && patternsOverlap(l.resource, resource));
  const result = grant(
    table.locks.filter((l) => !stolen.includes(l)),
    newOwner,
    [{ resource, mode: 'write' }],
    now,
    null,
    false,
  );
  return { table: { ...table, locks: result.locks }, stolen, lock: result.granted[0]! };
}

/** What `tryAcquire` would refuse over, without changing anything; stale holders are reported as such. */
export function conflictsFor(table: LockTable, owner: LockOwner, requests: readonly LockRequest[], now: string): LockConflict[] {
  return scan(table.locks, table.waiters, owner, requests, now).conflicts;
}

/** For the commit guard: each concrete path that falls under another owner's write lock, stale or not. */
export function writeLockedByOthers(table: LockTable, owner: LockOwner, paths: readonly string[]): { path: string; lock: Lock }[] {
  const others = table.locks.filter((l) => l.mode === 'write' && !sameOwner(l.owner, owner));
  return paths.flatMap((path) => others.filter((lock) => matchesPath(lock.resource, path)).map((lock) => ({ path, lock })));
}

/** `src/auth/** held by #5 (write)`; names the requested resource too when it differs. */
export function describeConflict(c: LockConflict): string {
  const what = c.resource === c.heldResource ? c.heldResource : `${c.resource} overlaps ${c.heldResource}`;
  if (c.waiterId !== undefined) return `${what} queued earlier by ${ownerLabel(c.holder)} (${c.heldMode})`;
  return `${what} held by ${ownerLabel(c.holder)} (${c.heldMode}${c.stale ? ', stale' : ''})`;
}
