import { join } from 'node:path';
import { planDispatch } from '../core/dispatch-plan.js';
import { freeSlots, portBlock } from '../core/port-slots.js';
import type { AuditEvent, MusterState } from '../core/state.js';
import { tryAcquire, type LockRequest } from '../core/lock-table.js';
import { getTask, transition, updateTask } from '../core/task-queue.js';
import { branchName, formatId, type Activity, type ActivityStatus, type Task, type TaskId } from '../core/task.js';
import type { ProcessExit } from '../adapters/pty/task-terminal.js';
import { installGuard } from '../adapters/git/commit-guard.js';
import { readRefCommit, resolveCommit } from '../adapters/git/git.js';
import { locateRepo } from '../paths/repo.js';
import { busyPorts } from '../adapters/ports/port-probe.js';
import type { Store } from '../adapters/store/store.js';
import { agentPresets, type MusterConfig } from '../config/schema.js';
import type { MusterPaths } from '../paths/muster-paths.js';
import type { Caller } from '../protocol/methods.js';
import { AgentRuntime } from './agent-runtime.js';
import { ConflictScanner } from './conflict-scanner.js';
import { ContextService } from './context-service.js';
import { MergeManager } from './merge-manager.js';
import { LockManager } from './lock-manager.js';
import { LaunchError, launchTask, worktreePath } from './launch.js';
import type { SocketServer } from './server.js';
import { taskView, queuePositions } from './views.js';

export type AuditInput = Omit<AuditEvent, 'time'>;

/** What a conflict scan depends on in the store; activity changes every second and does not count. */
function scanSignature(s: MusterState): string {
  return s.tasks.map((t) => `${t.id}:${t.state}:${t.worktree ?? ''}:${t.base ?? ''}:${t.writes.join(',')}`).join('|');
}

/** What the supervisor knows that is not in the store. */
export interface SupervisorContext {
  paths: MusterPaths;
  config: MusterConfig;
  /** Why the config file on disk is not the one in use (it failed to load), or null. */
  configError: string | null;
  store: Store;
  pid: number;
  startedAt: string;
  target: string;
  shimDir: string;
}

/**
 * The daemon's brain: owns the in-memory state, applies changes through the pure core, makes
 * them durable, tells subscribers, and dispatches after every change that can free capacity.
 */
export class Supervisor {
  server: SocketServer | null = null;
  readonly runtime: AgentRuntime;
  readonly locks: LockManager;
  readonly context: ContextService;
  readonly merges: MergeManager;
  readonly scanner: ConflictScanner;
  private dispatchQueued = false;
  private dispatching: Promise<void> | null = null;
  private stopping = false;
  onStop: (() => void) | null = null;

  constructor(readonly ctx: SupervisorContext) {
    this.runtime = new AgentRuntime(this);
    this.locks = new LockManager(this);
    this.context = new ContextService(this);
    this.merges = new MergeManager(this);
    this.scanner = new ConflictScanner(this);
  }

  get state(): MusterState {
    return this.ctx.store.data;
  }

  get config(): MusterConfig {
    return this.ctx.config;
  }

  get agentNames(): string[] {
    return Object.keys(agentPresets(this.ctx.config));
  }

  get shimDir(): string {
    return this.ctx.shimDir;
  }

  get contextFile(): string {
    return this.config.context.file ? join(this.ctx.paths.repo.mainRoot, this.config.context.file) : join(this.ctx.paths.stateDir, 'shared-context.md');
  }

  now(): string {
    return new Date().toISOString();
  }

  private tipCache: { at: number; tip: string | null } | null = null;

  /** Muster moved the target itself: the next read must not come from the cache. */
  forgetTip(): void {
    this.tipCache = null;
  }

  /** The target's tip, read at most every 200 ms (status is asked for often). */
  async targetTip(): Promise<string | null> {
    if (this.tipCache && Date.now() - this.tipCache.at < 200) return this.tipCache.tip;
    const ref = `refs/heads/${this.ctx.target}`;
    const tip = (await readRefCommit(this.ctx.paths.repo.commonDir, ref)) ?? (await resolveCommit(this.ctx.paths.repo.mainRoot, ref));
    this.tipCache = { at: Date.now(), tip };
    return tip;
  }

  actorOf(caller: Caller | undefined): string {
    if (!caller) return 'supervisor';
    const task = this.taskOfCaller(caller);
    return task ? `task #${task}` : `operator (pid ${caller.ppid})`;
  }

  /** The task a command acts for when run inside its worktree or with MUSTER_TASK_ID. */
  taskOfCaller(caller: Caller | undefined): TaskId | null {
    if (!caller) return null;
    if (caller.envTaskId && this.state.tasks.some((t) => t.id === caller.envTaskId)) return caller.envTaskId;
    if (caller.worktreeRoot) {
      const t = this.state.tasks.find((x) => x.worktree === caller.worktreeRoot);
      if (t) return t.id;
    }
    return null;
  }

  /**
   * Replaces the state, makes it durable with its audit events, then tells subscribers what
   * changed. Resolves once the change would survive `kill -9`.
   */
  async apply(next: MusterState, events: AuditInput[]): Promise<void> {
    const before = this.ctx.store.data;
    this.ctx.store.data = next;
    const time = this.now();
    const durable = this.ctx.store.commit(events.map((e) => ({ time, ...e })));
    this.publishChanges(before, next);
    if (before.locks !== next.locks || scanSignature(before) !== scanSignature(next)) this.scanner.request();
    this.scheduleDispatch();
    await durable;
  }

  async patchTask(id: TaskId, patch: Partial<Task>, events: AuditInput[] = []): Promise<void> {
    if (!getTask(this.state, id)) return;
    await this.apply(updateTask(this.state, id, patch, this.now()), events);
  }

  /** Moves a task to a new state if the state machine allows it; returns whether it moved. */
  async moveTask(id: TaskId, to: Task['state'], reason: string | null, events: AuditInput[], patch: Partial<Task> = {}): Promise<boolean> {
    const moved = transition(this.state, id, to, this.now(), reason);
    if (!moved.ok) return false;
    await this.apply(Object.keys(patch).length ? updateTask(moved.value, id, patch, this.now()) : moved.value, events);
    return true;
  }

  private publishChanges(before: MusterState, after: MusterState): void {
    if (!this.server) return;
    const old = new Set(before.tasks);
    const positions = queuePositions(after);
    for (const t of after.tasks) if (!old.has(t)) this.server.broadcast('task', taskView(t, positions.get(t.id) ?? null));
    if (before.order !== after.order || before.paused !== after.paused) this.server.broadcast('queue', { order: after.order, paused: after.paused });
  }

  scheduleDispatch(): void {
    if (this.dispatchQueued || this.stopping) return;
    this.dispatchQueued = true;
    setImmediate(() => {
      this.dispatchQueued = false;
      void this.dispatch();
    });
  }

  /** One dispatch pass at a time; a pass asked for during one runs right after it. */
  async dispatch(): Promise<void> {
    while (this.dispatching) await this.dispatching;
    if (this.stopping) return;
    this.dispatching = this.dispatchPass().finally(() => {
      this.dispatching = null;
    });
    await this.dispatching;
  }

  /** Whether nothing runs and nothing would start: what `muster run --until-idle` waits for. */
  get idle(): boolean {
    if (this.dispatching || this.dispatchQueued) return false;
    if (this.state.tasks.some((t) => t.state === 'running')) return false;
    return this.planFor(this.state).start.length === 0;
  }

  /** Dispatch's lock question: the task's whole declared set, granted at once or not at all. */
  private planFor(state: MusterState) {
    return planDispatch(state, {
      maxWorkers: this.config.parallel.max_workers,
      locks: state.locks,
      acquire: (task, table) => {
        const requests = this.locks.declared(task);
        if (!requests.length) return { ok: true, acc: table };
        const r = tryAcquire(table, { kind: 'task', task: task.id }, requests, this.now(), { declared: true });
        return r.ok ? { ok: true, acc: r.table } : { ok: false, reason: r.conflicts.map((c) => this.locks.conflictView(c).detail).join('; ') };
      },
    });
  }

  private async dispatchPass(): Promise<void> {
    const plan = this.planFor(this.state);
    const reasons = new Map(plan.waiting);
    for (const id of plan.start) {
      const task = getTask(this.state, id);
      if (!task || task.state !== 'ready') continue;
      const ports = await this.takePortSlot(task);
      if (!ports) {
        reasons.set(id, `waits for a free port slot (${this.config.ports.base}-${this.config.ports.base + this.config.ports.slots * this.config.ports.block - 1} all taken)`);
        continue;
      }
      if (getTask(this.state, id)?.state !== 'ready') continue;
      const requests = this.locks.declared(task);
      const grant = tryAcquire(this.state.locks, { kind: 'task', task: id }, requests, this.now(), { declared: true });
      if (!grant.ok) {
        reasons.set(id, grant.conflicts.map((c) => this.locks.conflictView(c).detail).join('; '));
        continue;
      }
      await this.startIntent(task, ports, grant.table, requests);
    }
    let next = this.state;
    for (const t of this.state.tasks) {
      if (t.state !== 'ready') continue;
      const reason = reasons.get(t.id) ?? null;
      if (reason !== t.reason) next = updateTask(next, t.id, { reason }, this.now());
    }
    if (next !== this.state) await this.apply(next, []);
  }

  /** The first slot in the range that no task holds and nothing else listens on. */
  private async takePortSlot(task: Task): Promise<Task['ports'] | null> {
    const cfg = this.config.ports;
    const held = new Map<number, TaskId>();
    for (const t of this.state.tasks) if (t.ports && t.id !== task.id) held.set(t.ports.slot, t.id);
    const candidates = freeSlots(cfg, held);
    // A retried task keeps its slot when it is still free.
    if (task.ports && candidates.includes(task.ports.slot)) candidates.unshift(task.ports.slot);
    for (const slot of new Set(candidates)) {
      const block = portBlock(cfg, slot);
      const busy = await busyPorts(block.base, block.last);
      if (!busy.length) return block;
      await this.ctx.store.commit([{ time: this.now(), actor: 'supervisor', kind: 'port-slot-skipped', details: { task: task.id, slot, busy } }]);
    }
    return null;
  }

  /** Records the decision to start before anything is spawned, so a crash never starts twice. */
  private async startIntent(task: Task, ports: NonNullable<Task['ports']>, locks: MusterState['locks'], declared: LockRequest[]): Promise<void> {
    const now = this.now();
    const session = { n: task.sessions.length + 1, agent: task.agent, pid: null, pidStart: null, startedAt: now, endedAt: null, exitCode: null, signal: null };
    const moved = transition(this.state, task.id, 'running', now, 'starting');
    if (!moved.ok) return;
    const next = updateTask({ ...moved.value, locks }, task.id, {
      ports,
      branch: task.branch ?? branchName(task.id, task.title),
      worktree: task.worktree ?? worktreePath(this.config, this.ctx.paths.repo.mainRoot, task.id),
      sessions: [...task.sessions, session],
      activity: { status: 'unknown', since: now, source: 'none' },
    }, now);
    const events: AuditInput[] = [{ actor: 'supervisor', kind: 'task-dispatched', details: { task: task.id, session: session.n, agent: task.agent, ports: `${ports.base}-${ports.last}` } }];
    if (declared.length) events.push({ actor: 'supervisor', kind: 'lock-granted', details: { owner: { task: task.id }, locks: declared, declared: true } });
    await this.apply(next, events);
    void launchTask(this, task.id).catch((e: unknown) => this.failLaunch(task.id, e));
  }

  private async failLaunch(id: TaskId, e: unknown): Promise<void> {
    const reason = e instanceof LaunchError ? e.message : `could not start: ${(e as Error).message}`;
    this.runtime.existingTerminal(id)?.note(`failed: ${reason}`);
    await this.moveTask(id, 'failed', reason, [{ actor: 'supervisor', kind: 'task-failed', details: { task: id, reason } }]);
  }

  /** Runs once a worktree exists, before the agent starts: the commit guard goes in. */
  async afterWorktreeReady(_id: TaskId, worktree: string): Promise<void> {
    await installGuard(this.ctx.paths.repo.mainRoot, worktree, join(this.ctx.paths.stateDir, 'hooks'), locateRepo(worktree).gitDir);
  }

  /** A task was merged or cancelled: its locks go, and so do an import's once all its tasks have. */
  async afterTaskEnded(id: TaskId): Promise<void> {
    await this.locks.releaseAll({ kind: 'task', task: id }, 'task ended');
    for (const imp of this.state.imports) {
      if (!imp.tasks.includes(id)) continue;
      const open = imp.tasks.some((t) => !['merged', 'cancelled'].includes(getTask(this.state, t)?.state ?? 'cancelled'));
      if (!open) await this.locks.releaseAll({ kind: 'operator', pid: 0, startTime: imp.ownerTag }, `every task of ${imp.file} has landed or gone`);
    }
    this.scheduleDispatch();
  }

  async recordSessionStart(id: TaskId, n: number, pid: number, pidStart: string | null, clearHandoff: boolean): Promise<void> {
    const task = getTask(this.state, id);
    if (!task) return;
    const sessions = task.sessions.map((s) => (s.n === n ? { ...s, pid, pidStart } : s));
    await this.patchTask(id, { sessions, reason: null, ...(clearHandoff ? { handoffFrom: null } : {}) }, [{ actor: 'supervisor', kind: 'agent-started', details: { task: id, session: n, pid } }]);
  }

  /** The agent process ended: exit 0 means review, anything else failed, unless muster stopped it. */
  async onAgentExit(id: TaskId, n: number, exit: ProcessExit, stoppedByUs: boolean): Promise<void> {
    const task = getTask(this.state, id);
    if (!task) return;
    const now = this.now();
    const sessions = task.sessions.map((s) => (s.n === n ? { ...s, endedAt: now, exitCode: exit.exitCode, signal: exit.signal } : s));
    const events: AuditInput[] = [{ actor: 'supervisor', kind: 'agent-exited', details: { task: id, session: n, exitCode: exit.exitCode, signal: exit.signal, stoppedByUs } }];
    const current = task.sessions.length === n;
    if (!stoppedByUs && current && task.state === 'running' && !this.stopping) {
      const to = exit.exitCode === 0 ? 'review' : 'failed';
      const reason = exit.exitCode === 0 ? 'agent finished (exit 0)' : `agent exited with code ${exit.exitCode}${exit.signal ? ` (signal ${exit.signal})` : ''}`;
      this.runtime.existingTerminal(id)?.note(reason);
      await this.moveTask(id, to, reason, events, { sessions, activity: { status: 'exited', since: now, source: 'heuristic' } });
      this.notify({ kind: to === 'review' ? 'finished' : 'failed', task: id, message: `${formatId(id)} ${task.title}: ${reason}` });
      return;
    }
    await this.patchTask(id, { sessions, activity: { status: 'exited', since: now, source: 'heuristic' } }, events);
  }

  recordActivity(changes: { id: TaskId; status: Activity; source: ActivityStatus['source'] }[]): void {
    let next = this.state;
    const now = this.now();
    for (const c of changes) {
      next = updateTask(next, c.id, { activity: { status: c.status, since: now, source: c.source } }, now);
      const task = getTask(next, c.id);
      if (c.status === 'waiting-input' && task) this.notify({ kind: 'waiting-input', task: c.id, message: `${formatId(c.id)} ${task.title} is waiting for input` });
    }
    void this.apply(next, []);
  }

  /**
   * The config file changed: a valid one takes effect at once (a dispatch pass follows, so a
   * raised max_workers starts tasks); a broken one is reported and the last good one stays.
   */
  reloadConfig(load: () => MusterConfig): void {
    try {
      const next = load();
      this.ctx.config = next;
      this.ctx.configError = null;
      this.audit([{ actor: 'operator', kind: 'config-reloaded', details: {} }]);
      this.scheduleDispatch();
    } catch (e) {
      this.ctx.configError = (e as Error).message;
      this.notify({ kind: 'failed', message: `The config has errors and was not applied: ${(e as Error).message.split('\n')[0]}` });
    }
    this.server?.broadcast('config', { error: this.ctx.configError });
  }

  /** This task's entries in the shared context file. */
  contextEntriesOf(id: TaskId): string[] {
    return this.context.entriesOf(id);
  }

  /** Audit lines for something that changed outside the store (a file, a process). */
  audit(events: AuditInput[]): void {
    const time = this.now();
    void this.ctx.store.commit(events.map((e) => ({ time, ...e })));
  }

  /** Something the operator should notice: status line, bell, header count. */
  notify(n: { kind: 'waiting-input' | 'finished' | 'failed' | 'blocker'; message: string; task?: TaskId }): void {
    this.server?.broadcast('notify', n);
  }

  /** Stops every agent and leaves their tasks restartable (`stalled`). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    while (this.dispatching) await this.dispatching;
    const running = this.state.tasks.filter((t) => this.runtime.isRunning(t.id));
    this.locks.stop();
    await this.context.stop();
    await this.scanner.stop();
    await this.runtime.stopAll();
    let next = this.state;
    const now = this.now();
    for (const t of running) {
      if (t.state !== 'running') continue;
      const moved = transition(next, t.id, 'stalled', now, 'stopped with the supervisor; retry restarts it');
      if (moved.ok) next = moved.value;
    }
    if (next !== this.state) await this.apply(next, running.map((t) => ({ actor: 'supervisor', kind: 'task-stalled', details: { task: t.id, why: 'supervisor stopped' } })));
    await this.ctx.store.flush();
    this.runtime.dispose();
  }

  /** Asks the daemon to shut down (once); the daemon calls `shutdown` and closes the socket. */
  stop(): void {
    const cb = this.onStop;
    this.onStop = null;
    cb?.();
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}
