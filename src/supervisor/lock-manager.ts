import { isAbsolute, relative, resolve, sep } from 'node:path';
import { matchesPath, normalizeResource } from '../core/glob.js';
import {
  cancelWaiter,
  conflictsFor,
  describeConflict,
  enqueue,
  expireWaiters,
  grantWaiters,
  lockState,
  ownerLabel,
  release,
  releaseOwner,
  sameOwner,
  steal,
  tryAcquire,
  writeLockedByOthers,
  type Lock,
  type LockConflict,
  type LockOwner,
  type LockRequest,
} from '../core/lock-table.js';
import { renewLeases, restartLeases, settleLeases } from '../core/lock-lease.js';
import { getTask } from '../core/task-queue.js';
import { isFinal } from '../core/task-states.js';
import { formatId, type Task, type TaskId } from '../core/task.js';
import { isDirectory, pathExists } from '../adapters/fs/files.js';
import { branchChangedPaths, worktreeChangedPaths } from '../adapters/git/changes.js';
import { resolveCommit } from '../adapters/git/git.js';
import { isSameProcessAlive, processStartTime } from '../adapters/proc/process-info.js';
import { MusterError } from '../protocol/errors.js';
import type { Caller } from '../protocol/methods.js';
import type { LockAcquireResult, LockConflictView, LockView } from '../protocol/shapes.js';
import type { Connection } from '../adapters/socket/socket-server.js';
import type { AuditInput, StateCell } from './state-cell.js';

const GLOB_CHARS = /[*?[\]{}()!+@]/;

function ownerJson(o: LockOwner): { task: number } | { pid: number } {
  return o.kind === 'task' ? { task: o.task } : { pid: o.pid };
}

function auditOwner(o: LockOwner): Record<string, unknown> {
  return o.kind === 'task' ? { task: o.task } : { pid: o.pid, startTime: o.startTime };
}

/**
 * The supervisor's side of locks: owners and paths from callers, grants and denials with
 * their audit lines, FIFO waiters that outlive the request that queued them, TTL expiry,
 * stale takeover, and locks of operators whose process is gone.
 */
export class LockManager {
  private readonly pending = new Map<number, { resolve: (r: LockAcquireResult) => void; timer: NodeJS.Timeout; owner: LockOwner }>();
  private readonly announcedStale = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly cell: StateCell) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Who a lock command acts for: --task, the caller's worktree task, or the operator's process. */
  ownerFor(caller: Caller | undefined, task?: number): LockOwner {
    if (task !== undefined) {
      if (!getTask(this.cell.state, task)) throw new MusterError('not-found', `No task ${formatId(task)}. "muster task list" shows the tasks there are.`);
      return { kind: 'task', task };
    }
    const own = this.cell.taskOfCaller(caller);
    if (own) return { kind: 'task', task: own };
    const pid = caller?.ownerPid ?? caller?.ppid ?? process.pid;
    return { kind: 'operator', pid, startTime: processStartTime(pid) };
  }

  /**
   * Repository-relative, normalised resources from what a caller typed: relative to its
   * working directory inside its worktree; an existing directory means its whole subtree.
   */
  normalize(caller: Caller | undefined, raws: readonly string[]): string[] {
    if (!raws.length) throw new MusterError('bad-input', 'Name at least one path or glob, e.g. muster lock acquire "src/auth/**".');
    const root = caller?.worktreeRoot ?? this.cell.ctx.paths.repo.mainRoot;
    const cwd = caller?.cwd ?? root;
    return raws.map((raw) => {
      if (raw.includes('\0')) throw new MusterError('bad-input', `"${raw.replace(/\0/g, '\\0')}": a path cannot contain a NUL byte.`);
      if (!raw.trim()) throw new MusterError('bad-input', 'An empty path names nothing; give a file, a directory or a glob.');
      let rel = raw;
      const abs = isAbsolute(raw) ? raw : resolve(cwd, raw);
      const inside = relative(root, abs);
      if (isAbsolute(raw) || cwd !== root) {
        if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
          throw new MusterError('bad-input', `${raw} is outside the repository (${root}); locks name paths inside it.`);
        }
        rel = inside.split(sep).join('/');
      }
      if (!GLOB_CHARS.test(rel) && !rel.endsWith('/')) {
        // Not there (yet): a path.
        if (isDirectory(resolve(root, rel))) rel = `${rel}/**`;
      }
      const r = normalizeResource(rel);
      if (!r.ok) throw new MusterError('bad-input', `${raw}: ${r.error.message}`);
      return r.value;
    });
  }

  /** The locks a task declares: writes as write, reads as read; low-risk tasks declare none. */
  declared(task: Task): LockRequest[] {
    if (task.risk === 'low') return [];
    return [...task.writes.map((resource) => ({ resource, mode: 'write' as const })), ...task.reads.map((resource) => ({ resource, mode: 'read' as const }))];
  }

  view(lock: Lock, now = this.cell.now()): LockView {
    return {
      resource: lock.resource,
      mode: lock.mode,
      owner: ownerJson(lock.owner),
      state: lockState(lock, now),
      acquiredAt: lock.acquiredAt,
      expiresAt: lock.expiresAt,
      declared: lock.declared,
      leaseUntil: lock.leaseUntil ?? null,
    };
  }

  views(): LockView[] {
    const now = this.cell.now();
    return this.cell.state.locks.locks.map((l) => this.view(l, now));
  }

  conflictView(c: LockConflict): LockConflictView {
    return {
      resource: c.resource,
      mode: c.mode,
      holder: ownerJson(c.holder),
      heldResource: c.heldResource,
      heldMode: c.heldMode,
      stale: c.stale,
      detail: describeConflict(c),
    };
  }

  async acquire(
    owner: LockOwner,
    requests: LockRequest[],
    opts: { ttlMs: number | null; waitMs: number; steal: boolean; actor: string },
    conn?: Connection,
  ): Promise<LockAcquireResult> {
    await this.sweepGoneOperators();
    await this.announceStale();
    const now = this.cell.now();
    if (opts.steal) {
      let table = this.cell.state.locks;
      const events: AuditInput[] = [];
      const locks: Lock[] = [];
      for (const r of requests) {
        const s = steal(table, r.resource, owner, now);
        table = s.table;
        locks.push(s.lock);
        for (const l of s.stolen)
          events.push({
            actor: opts.actor,
            kind: 'lock-stolen',
            details: { resource: l.resource, mode: l.mode, from: auditOwner(l.owner), by: auditOwner(owner) },
          });
      }
      await this.cell.apply({ ...this.cell.state, locks: table }, events);
      return { granted: true, locks: locks.map((l) => this.view(l)) };
    }
    const takeable = await this.takeableStale();
    const r = tryAcquire(this.cell.state.locks, owner, requests, now, { ttlMs: opts.ttlMs, canTakeOver: (l) => takeable.has(l) });
    if (r.ok) {
      await this.cell.apply({ ...this.cell.state, locks: r.table }, [
        ...r.tookOver.map((l) => ({
          actor: opts.actor,
          kind: 'lock-taken-over',
          details: { resource: l.resource, from: auditOwner(l.owner), to: auditOwner(owner), why: 'stale, and its holder has no change touching it' },
        })),
        { actor: opts.actor, kind: 'lock-granted', details: { owner: auditOwner(owner), locks: requests, ttlMs: opts.ttlMs } },
      ]);
      return { granted: true, locks: r.granted.map((l) => this.view(l)) };
    }
    if (opts.waitMs <= 0) {
      await this.cell.apply(this.cell.state, [
        {
          actor: opts.actor,
          kind: 'lock-denied',
          details: {
            owner: auditOwner(owner),
            locks: requests,
            held: r.conflicts.map((c) => ({ resource: c.heldResource, mode: c.heldMode, holder: auditOwner(c.holder), stale: c.stale })),
          },
        },
      ]);
      return { granted: false, conflicts: r.conflicts.map((c) => this.conflictView(c)) };
    }
    const q = enqueue(this.cell.state.locks, owner, requests, now, opts.waitMs, opts.ttlMs);
    await this.cell.apply({ ...this.cell.state, locks: q.table }, [
      { actor: opts.actor, kind: 'lock-wait-queued', details: { owner: auditOwner(owner), locks: requests, waitMs: opts.waitMs, waiter: q.waiterId } },
    ]);
    return new Promise<LockAcquireResult>((resolvePromise) => {
      const timer = setTimeout(() => void this.expire(q.waiterId, owner, requests), opts.waitMs + 20);
      this.pending.set(q.waiterId, { resolve: resolvePromise, timer, owner });
      conn?.onClosed(() => void this.abandon(q.waiterId));
      void this.pump();
    });
  }

  private async expire(waiterId: number, owner: LockOwner, requests: LockRequest[]): Promise<void> {
    const p = this.pending.get(waiterId);
    if (!p) return;
    this.pending.delete(waiterId);
    const conflicts = conflictsFor(
      { ...this.cell.state.locks, waiters: this.cell.state.locks.waiters.filter((w) => w.id < waiterId) },
      owner,
      requests,
      this.cell.now(),
    );
    const c = cancelWaiter(this.cell.state.locks, waiterId);
    await this.cell.apply({ ...this.cell.state, locks: c.table }, [
      { actor: 'supervisor', kind: 'lock-wait-expired', details: { owner: auditOwner(owner), locks: requests, waiter: waiterId } },
    ]);
    p.resolve({ granted: false, conflicts: conflicts.map((x) => this.conflictView(x)) });
    await this.pump();
  }

  private async abandon(waiterId: number): Promise<void> {
    const p = this.pending.get(waiterId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(waiterId);
    const c = cancelWaiter(this.cell.state.locks, waiterId);
    await this.cell.apply({ ...this.cell.state, locks: c.table }, [{ actor: 'supervisor', kind: 'lock-wait-abandoned', details: { waiter: waiterId } }]);
    await this.pump();
  }

  /** Grants queued requests that can now be granted, first come first served. */
  async pump(): Promise<void> {
    if (!this.cell.state.locks.waiters.length) return;
    const takeable = await this.takeableStale();
    const now = this.cell.now();
    const g = grantWaiters(this.cell.state.locks, now, (l) => takeable.has(l));
    if (!g.granted.length) return;
    await this.cell.apply(
      { ...this.cell.state, locks: g.table },
      g.granted.map((w) => ({
        actor: 'supervisor',
        kind: 'lock-granted',
        details: { owner: auditOwner(w.owner), locks: w.locks.map((l) => ({ resource: l.resource, mode: l.mode })), waiter: w.waiterId },
      })),
    );
    for (const w of g.granted) {
      const p = this.pending.get(w.waiterId);
      if (!p) continue;
      clearTimeout(p.timer);
      this.pending.delete(w.waiterId);
      p.resolve({ granted: true, locks: w.locks.map((l) => this.view(l, now)) });
    }
  }

  async release(owner: LockOwner, resources: string[] | 'all', actor: string): Promise<{ released: LockView[]; notHeld: string[] }> {
    const r = release(this.cell.state.locks, owner, resources);
    if (r.released.length) {
      await this.cell.apply({ ...this.cell.state, locks: r.table }, [
        { actor, kind: 'lock-released', details: { owner: auditOwner(owner), locks: r.released.map((l) => ({ resource: l.resource, mode: l.mode })) } },
      ]);
      await this.pump();
    }
    return { released: r.released.map((l) => this.view(l)), notHeld: r.notHeld };
  }

  /** Everything an owner holds or waits for goes; used when a task is merged or cancelled. */
  /** A task was merged or cancelled: its locks go, and so do an import's once all its tasks have. */
  async taskEnded(id: TaskId): Promise<void> {
    await this.releaseAll({ kind: 'task', task: id }, 'task ended');
    for (const imp of this.cell.state.imports) {
      if (!imp.tasks.includes(id)) continue;
      const open = imp.tasks.some((t) => !isFinal(getTask(this.cell.state, t)?.state ?? 'cancelled'));
      if (!open) await this.releaseAll({ kind: 'operator', pid: 0, startTime: imp.ownerTag }, `every task of ${imp.file} has landed or gone`);
    }
    this.cell.scheduleDispatch();
  }

  async releaseAll(owner: LockOwner, why: string): Promise<void> {
    const r = releaseOwner(this.cell.state.locks, owner);
    if (!r.released.length && !r.cancelled.length) return;
    for (const w of r.cancelled) this.abandonPending(w.id);
    await this.cell.apply({ ...this.cell.state, locks: r.table }, [
      {
        actor: 'supervisor',
        kind: 'lock-released',
        details: { owner: auditOwner(owner), why, locks: r.released.map((l) => ({ resource: l.resource, mode: l.mode })) },
      },
    ]);
    await this.pump();
  }

  private abandonPending(waiterId: number): void {
    const p = this.pending.get(waiterId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(waiterId);
    p.resolve({ granted: false, conflicts: [] });
  }

  check(owner: LockOwner, requests: LockRequest[]): LockConflictView[] {
    return conflictsFor(this.cell.state.locks, owner, requests, this.cell.now()).map((c) => this.conflictView(c));
  }

  /** Concrete file paths the owner may not commit: write-locked by someone else. */
  guard(owner: LockOwner, paths: string[]): { path: string; resource: string; holder: { task: number } | { pid: number }; detail: string }[] {
    return writeLockedByOthers(this.cell.state.locks, owner, paths).map(({ path, lock }) => ({
      path,
      resource: lock.resource,
      holder: ownerJson(lock.owner),
      detail: `${path} is write-locked by ${ownerLabel(lock.owner)} (${lock.resource})`,
    }));
  }

  /** Stale locks whose holder has no change touching them: those may pass to another owner. */
  private async takeableStale(): Promise<Set<Lock>> {
    const now = this.cell.now();
    const out = new Set<Lock>();
    for (const lock of this.cell.state.locks.locks) {
      if (lockState(lock, now) !== 'stale') continue;
      if (lock.owner.kind === 'operator') {
        out.add(lock);
        continue;
      }
      // A host away may have its agent editing the locked file right now, with nothing fetched of it yet: only a steal takes it.
      const holder = getTask(this.cell.state, lock.owner.task);
      if (holder?.host && holder.state === 'stalled') continue;
      const changed = await this.changedPathsOf(lock.owner.task);
      if (changed && !changed.some((p) => matchesPath(lock.resource, p))) out.add(lock);
    }
    return out;
  }

  /** Paths a task's branch and worktree change relative to its base; null when unknown. */
  async changedPathsOf(id: TaskId): Promise<string[] | null> {
    const task = getTask(this.cell.state, id);
    if (!task?.base) return task && !task.sessions.length ? [] : null;
    const repo = this.cell.ctx.paths.repo.mainRoot;
    if (task.worktree && pathExists(task.worktree)) return worktreeChangedPaths(task.worktree, task.base);
    if (!task.branch) return [];
    const committed = await branchChangedPaths(repo, task.base, task.branch);
    if (!task.host || !committed) return committed;
    // On another host the uncommitted work is only in the snapshot fetched from there.
    if (!(await resolveCommit(repo, `refs/muster/wip/${id}`))) return committed;
    const wip = await branchChangedPaths(repo, task.base, `refs/muster/wip/${id}`);
    return wip ? [...new Set([...committed, ...wip])] : null;
  }

  /**
   * How long the locks of task `id` stay held without word from its host; null: no agent of it
   * runs on a host. Only once its agent is there (its session has a pid, and has not ended): a
   * slow launch, or the moment between its exit and the task moving on, never lapses a lock.
   */
  private leaseOf(id: TaskId): number | null {
    const task = getTask(this.cell.state, id);
    const cfg = task?.host ? this.cell.config.hosts[task.host] : undefined;
    if (!cfg || (task!.state !== 'running' && task!.state !== 'stalled')) return null;
    const last = task!.sessions.at(-1);
    return last && last.pid !== null && last.endedAt === null ? cfg.lock_lease_seconds * 1000 : null;
  }

  /** At the supervisor's start: each host gets a full lease to reconnect, whatever was left of it when the last supervisor stopped. */
  async restartLeases(): Promise<void> {
    const r = restartLeases(this.cell.state.locks, (id) => this.leaseOf(id), this.cell.now());
    if (!r.restarted.length) return;
    await this.cell.apply(
      { ...this.cell.state, locks: r.table },
      r.restarted.map((l) => ({
        actor: 'supervisor',
        kind: 'lock-lease-renewed',
        details: { resource: l.resource, mode: l.mode, owner: auditOwner(l.owner), leaseUntil: l.leaseUntil, why: 'the supervisor started again' },
      })),
    );
  }

  /** Host `host`'s worker says these tasks' agents run there: their locks' leases are renewed (and revived if lapsed). */
  async renewLeases(host: string, tasks: TaskId[]): Promise<void> {
    const cfg = this.cell.config.hosts[host];
    if (!cfg || !tasks.length) return;
    const leased = new Set(tasks.filter((id) => this.leaseOf(id) !== null));
    const r = renewLeases(this.cell.state.locks, leased, cfg.lock_lease_seconds * 1000, this.cell.now());
    if (!r.renewed.length) return;
    await this.cell.apply(
      { ...this.cell.state, locks: r.table },
      r.revived.map((l) => ({
        actor: 'supervisor',
        kind: 'lock-lease-renewed',
        details: { resource: l.resource, mode: l.mode, owner: auditOwner(l.owner), host, leaseUntil: l.leaseUntil, why: `host ${host} is back` },
      })),
    );
  }

  /** Announces newly stale locks, leases new locks of tasks on hosts, drops locks of operators that exited, expires waiters. */
  async tick(): Promise<void> {
    const leased = settleLeases(this.cell.state.locks, (id) => this.leaseOf(id), this.cell.now());
    if (leased.table !== this.cell.state.locks) await this.cell.apply({ ...this.cell.state, locks: leased.table }, []);
    if (await this.announceStale()) await this.pump();
    await this.sweepGoneOperators();
    const ex = expireWaiters(this.cell.state.locks, this.cell.now());
    for (const w of ex.expired) await this.expire(w.id, w.owner, w.requests);
  }

  /** One audit line per lock when it turns stale, before anyone may take it over. */
  private async announceStale(): Promise<boolean> {
    const now = this.cell.now();
    const events: AuditInput[] = [];
    for (const l of this.cell.state.locks.locks) {
      // A lease lapses again after each renewal: each lapse is told.
      const key = `${l.resource}|${JSON.stringify(l.owner)}|${l.acquiredAt}|${l.leaseUntil ?? ''}`;
      if (lockState(l, now) === 'stale' && !this.announcedStale.has(key)) {
        this.announcedStale.add(key);
        const lapsed = l.leaseUntil && Date.parse(l.leaseUntil) <= Date.parse(now) && l.owner.kind === 'task';
        const host = lapsed && l.owner.kind === 'task' ? getTask(this.cell.state, l.owner.task)?.host : null;
        events.push({
          actor: 'supervisor',
          kind: 'lock-expired',
          details: {
            resource: l.resource,
            mode: l.mode,
            owner: auditOwner(l.owner),
            expiresAt: l.expiresAt,
            ...(lapsed ? { leaseUntil: l.leaseUntil, why: `its lease lapsed: host ${host ?? '?'} has not renewed it` } : {}),
          },
        });
      }
    }
    if (events.length) await this.cell.apply(this.cell.state, events);
    return events.length > 0;
  }

  private async sweepGoneOperators(): Promise<void> {
    const gone = new Map<string, LockOwner>();
    for (const l of this.cell.state.locks.locks) {
      const o = l.owner;
      if (o.kind === 'operator' && o.pid !== 0 && !isSameProcessAlive(o.pid, o.startTime)) gone.set(`${o.pid}|${o.startTime}`, o);
    }
    for (const o of gone.values()) await this.releaseAll(o, 'its process exited');
  }

  ownsAny(owner: LockOwner): boolean {
    return this.cell.state.locks.locks.some((l) => sameOwner(l.owner, owner));
  }
}
