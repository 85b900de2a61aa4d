import { planDispatch } from '../core/dispatch-plan.js';
import { freeSlots, portBlock } from '../core/port-slots.js';
import type { MusterState } from '../core/state.js';
import { tryAcquire, type LockRequest } from '../core/lock-table.js';
import { getTask, transition, updateTask } from '../core/task-queue.js';
import { branchName, formatId, type Task, type TaskId } from '../core/task.js';
import { busyPorts } from '../adapters/ports/port-probe.js';
import { StoreWriteError } from '../adapters/store/store.js';
import type { MusterConfig } from '../config/schema.js';
import type { ConflictScanner } from './conflict-scanner.js';
import { LaunchAbandoned, LaunchError, launchTask, worktreePath, type LaunchServices } from './launch.js';
import type { LockManager } from './lock-manager.js';
import { launchRemoteTask } from './remote-launch.js';
import type { AuditInput } from './state-cell.js';
import { pauseAt } from '../adapters/proc/test-pause.js';

/** What dispatching and stopping work with: launching's services, the locks and the scanner. */
export interface DispatchServices extends LaunchServices {
  locks: LockManager;
  scanner: ConflictScanner;
}

/**
 * Starts ready tasks when capacity, ports and declared locks allow (one pass at a time, after
 * every change that can free capacity), takes a changed config, and stops every agent when
 * the supervisor stops.
 */
export class Dispatcher {
  private dispatchQueued = false;
  private dispatching: Promise<void> | null = null;
  /** Launches under way (worktree, setup, spawn): shutdown waits for them, or one would start an agent after it. */
  private readonly launching = new Map<TaskId, Promise<void>>();
  onStop: (() => void) | null = null;

  constructor(private readonly s: DispatchServices) {}

  private get cell() {
    return this.s.cell;
  }

  private get config(): MusterConfig {
    return this.s.cell.config;
  }

  scheduleDispatch(): void {
    if (this.dispatchQueued || this.cell.isStopping) return;
    this.dispatchQueued = true;
    setImmediate(() => {
      this.dispatchQueued = false;
      this.dispatch().catch((e: unknown) => {
        // A pass that could not record its decisions changed nothing; try again shortly.
        this.cell.faults.report(`dispatch stopped: ${(e as Error).message}`);
        if (e instanceof StoreWriteError) setTimeout(() => this.scheduleDispatch(), 2000).unref();
      });
    });
  }

  /** One dispatch pass at a time; a pass asked for during one runs right after it. */
  async dispatch(): Promise<void> {
    while (this.dispatching) await this.dispatching;
    if (this.cell.isStopping) return;
    this.dispatching = this.dispatchPass().finally(() => {
      this.dispatching = null;
    });
    await this.dispatching;
  }

  /** Whether nothing runs and nothing would start: what `muster run --until-idle` waits for. */
  get idle(): boolean {
    if (this.dispatching || this.dispatchQueued) return false;
    if (this.cell.state.tasks.some((t) => t.state === 'running')) return false;
    return this.planFor(this.cell.state).start.length === 0;
  }

  /** Dispatch's lock question: the task's whole declared set, granted at once or not at all. */
  private planFor(state: MusterState) {
    return planDispatch(state, {
      maxWorkers: this.config.parallel.max_workers,
      hosts: Object.entries(this.config.hosts).map(([name, h]) => ({ name, maxWorkers: h.max_workers, reachable: this.s.runtime.remotes.reachable(name) })),
      locks: state.locks,
      acquire: (task, table) => {
        const requests = this.s.locks.declared(task);
        if (!requests.length) return { ok: true, acc: table };
        const r = tryAcquire(table, { kind: 'task', task: task.id }, requests, this.cell.now(), { declared: true });
        return r.ok ? { ok: true, acc: r.table } : { ok: false, reason: r.conflicts.map((c) => this.s.locks.conflictView(c).detail).join('; ') };
      },
    });
  }

  private async dispatchPass(): Promise<void> {
    const cell = this.cell;
    const plan = this.planFor(cell.state);
    const reasons = new Map(plan.waiting);
    for (const id of plan.start) {
      const task = getTask(cell.state, id);
      if (!task || task.state !== 'ready') continue;
      const ports = await this.takePortSlot(task);
      if (!ports) {
        reasons.set(
          id,
          `waits for a free port slot (${this.config.ports.base}-${this.config.ports.base + this.config.ports.slots * this.config.ports.block - 1} all taken)`,
        );
        continue;
      }
      if (getTask(cell.state, id)?.state !== 'ready') continue;
      const requests = this.s.locks.declared(task);
      const grant = tryAcquire(cell.state.locks, { kind: 'task', task: id }, requests, cell.now(), { declared: true });
      if (!grant.ok) {
        reasons.set(id, grant.conflicts.map((c) => this.s.locks.conflictView(c).detail).join('; '));
        continue;
      }
      await this.startIntent(task, plan.placed.get(id) ?? null, ports, grant.table, requests);
    }
    let next = cell.state;
    for (const t of cell.state.tasks) {
      if (t.state !== 'ready') continue;
      const reason = reasons.get(t.id) ?? null;
      if (reason !== t.reason) next = updateTask(next, t.id, { reason }, cell.now());
    }
    if (next !== cell.state) await cell.apply(next, []);
  }

  /** The first slot in the range that no task holds and nothing else listens on. */
  private async takePortSlot(task: Task): Promise<Task['ports'] | null> {
    const cfg = this.config.ports;
    const held = new Map<number, TaskId>();
    for (const t of this.cell.state.tasks) if (t.ports && t.id !== task.id) held.set(t.ports.slot, t.id);
    const candidates = freeSlots(cfg, held);
    // A retried task keeps its slot when it is still free.
    if (task.ports && candidates.includes(task.ports.slot)) candidates.unshift(task.ports.slot);
    for (const slot of new Set(candidates)) {
      const block = portBlock(cfg, slot);
      const busy = await busyPorts(block.base, block.last);
      if (!busy.length) return block;
      await this.cell.ctx.store.commit([{ time: this.cell.now(), actor: 'supervisor', kind: 'port-slot-skipped', details: { task: task.id, slot, busy } }]);
    }
    return null;
  }

  /** Records the decision to start before anything is spawned, so a crash never starts twice. */
  private async startIntent(
    task: Task,
    host: string | null,
    ports: NonNullable<Task['ports']>,
    locks: MusterState['locks'],
    declared: LockRequest[],
  ): Promise<void> {
    const cell = this.cell;
    const now = cell.now();
    const session = {
      n: task.sessions.length + 1,
      agent: task.agent,
      pid: null,
      pidStart: null,
      startedAt: now,
      endedAt: null,
      exitCode: null,
      signal: null,
      dismissed: false,
    };
    const moved = transition(cell.state, task.id, 'running', now, 'starting');
    if (!moved.ok) return;
    const next = updateTask(
      { ...moved.value, locks },
      task.id,
      {
        ports,
        host,
        branch: task.branch ?? branchName(task.id, task.title),
        // A task on another host has its worktree there (under the host's dir), none here.
        worktree: host ? null : (task.worktree ?? worktreePath(this.config, cell.ctx.paths.repo.mainRoot, task.id)),
        sessions: [...task.sessions, session],
        activity: { status: 'unknown', since: now, source: 'none' },
      },
      now,
    );
    const events: AuditInput[] = [
      {
        actor: 'supervisor',
        kind: 'task-dispatched',
        details: { task: task.id, session: session.n, agent: task.agent, ports: `${ports.base}-${ports.last}`, ...(host ? { host } : {}) },
      },
    ];
    if (declared.length) events.push({ actor: 'supervisor', kind: 'lock-granted', details: { owner: { task: task.id }, locks: declared, declared: true } });
    await cell.apply(next, events);
    const launch = (host ? launchRemoteTask : launchTask)(this.s, task.id)
      .catch((e: unknown) => this.failLaunch(task.id, session.n, e))
      .catch((e: unknown) => cell.faults.report(`the failed start of ${formatId(task.id)} is not recorded: ${(e as Error).message}`))
      .finally(() => {
        if (this.launching.get(task.id) === launch) this.launching.delete(task.id);
      });
    this.launching.set(task.id, launch);
  }

  private async failLaunch(id: TaskId, session: number, e: unknown): Promise<void> {
    // Given up on purpose, or cut short by the supervisor stopping (which marks the task stalled),
    // or a launch a newer session replaced: its failure says nothing of that session.
    const replaced = (getTask(this.cell.state, id)?.sessions.length ?? session) !== session;
    if (e instanceof LaunchAbandoned || this.cell.isStopping || replaced) {
      this.s.runtime.existingTerminal(id)?.note(`not started: ${(e as Error).message}`);
      return;
    }
    const reason = e instanceof LaunchError ? e.message : `could not start: ${(e as Error).message}`;
    this.s.runtime.existingTerminal(id)?.note(`failed: ${reason}`);
    await this.cell.faults.recordFact(`the failed start of ${formatId(id)}`, async () => {
      await this.cell.moveTask(id, 'failed', reason, [{ actor: 'supervisor', kind: 'task-failed', details: { task: id, reason } }]);
    });
  }

  /**
   * The config file changed: a valid one takes effect at once (a dispatch pass follows, so a
   * raised max_workers starts tasks); a broken one is reported and the last good one stays.
   */
  reloadConfig(load: () => MusterConfig): void {
    const ctx = this.cell.ctx;
    try {
      const next = load();
      ctx.config = next;
      ctx.configError = null;
      this.cell.audit([{ actor: 'operator', kind: 'config-reloaded', details: {} }]);
      // Hosts renew their locks' leases on a schedule of their own: a new lease length must reach them.
      this.s.runtime.remotes.configChanged();
      this.scheduleDispatch();
    } catch (e) {
      ctx.configError = (e as Error).message;
      this.cell.notify({ kind: 'failed', message: `The config has errors and was not applied: ${(e as Error).message.split('\n')[0]}` });
    }
    this.cell.server?.broadcast('config', { error: ctx.configError });
  }

  /** Stops every agent and leaves their tasks restartable (`stalled`). */
  async shutdown(): Promise<void> {
    const cell = this.cell;
    cell.beginStopping();
    while (this.dispatching) await this.dispatching;
    const running = cell.state.tasks.filter((t) => this.s.runtime.isRunning(t.id) || this.launching.has(t.id));
    this.s.locks.stop();
    await this.s.context.stop();
    await this.s.scanner.stop();
    // Setup commands go with the agents; a launch then gives up, or stops the agent it just
    // started (the worker keeps whatever nobody stops).
    await Promise.all([this.s.runtime.stopAll(), ...[...this.launching.keys()].map((id) => this.s.runtime.stop(id))]);
    await pauseAt(cell, 'stop:agents-stopped');
    while (this.launching.size) await Promise.all(this.launching.values());
    let next = cell.state;
    const now = cell.now();
    for (const t of running) {
      if (t.state !== 'running') continue;
      const moved = transition(next, t.id, 'stalled', now, 'stopped with the supervisor; retry restarts it');
      if (moved.ok) next = moved.value;
    }
    if (next !== cell.state) {
      await cell
        .apply(
          next,
          running.map((t) => ({ actor: 'supervisor', kind: 'task-stalled', details: { task: t.id, why: 'supervisor stopped' } })),
        )
        .catch((e: unknown) => {
          // The next start finds them running with no agent and marks them stalled itself.
          cell.faults.report(`the stalled tasks are not recorded: ${(e as Error).message}`);
        });
    }
    await cell.ctx.store.flush();
    await this.s.runtime.worker.shutdown();
    this.s.runtime.dispose();
  }

  /** Asks the daemon to shut down (once); the daemon calls `shutdown` and closes the socket. */
  stop(): void {
    const cb = this.onStop;
    this.onStop = null;
    cb?.();
  }
}
