import type { TopicInput, TopicName } from '../protocol/topics.js';
import { join } from 'node:path';
import type { AuditEvent, MusterState } from '../core/state.js';
import { getTask, transition, updateTask } from '../core/task-queue.js';
import type { Task, TaskId } from '../core/task.js';
import { readBranchTip } from '../adapters/git/target-tip.js';
import type { Store } from '../adapters/store/store.js';
import type { SocketServer } from '../adapters/socket/socket-server.js';
import { agentPresets, type MusterConfig } from '../config/schema.js';
import type { MusterPaths } from '../paths/muster-paths.js';
import type { Caller } from '../protocol/methods.js';
import { actorTask, refusedClaim, taskOfCaller } from './caller-task.js';
import { Faults } from './faults.js';
import { queuePositions, taskView } from './views.js';

export type AuditInput = Omit<AuditEvent, 'time'>;

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

/** Something the operator should notice: status line, bell, header count. */
export interface Notice {
  kind: 'waiting-input' | 'finished' | 'failed' | 'blocker';
  /** What happened, without keys or commands: those differ by client. */
  message: string;
  task?: TaskId;
  /** Why, as data (`idle-with-work`): each client words the next step (`nextStepAfter`) in its own keys or commands. */
  reason?: string;
}

/** Where changes are told to the clients that subscribed (the socket server, once it listens). */
export interface Broadcaster {
  broadcast<T extends TopicName>(topic: T, data: TopicInput<T>): void;
  /** Serves a connection a host's worker forwards (the socket server's; absent in tests without one). */
  adopt?: SocketServer['adopt'];
}

/** What a conflict scan depends on in the store; activity changes every second and does not count. */
function scanSignature(s: MusterState): string {
  return s.tasks.map((t) => `${t.id}:${t.state}:${t.worktree ?? ''}:${t.base ?? ''}:${t.writes.join(',')}`).join('|');
}

/**
 * The one place the supervisor's state lives: read it, run a step (the new state with its
 * audit events) that becomes durable, is told to subscribers and asks for a dispatch pass.
 * Handed to every service instead of the services themselves; the daemon wires the two
 * callbacks (`onDispatch`, `onScan`) once everything exists.
 */
export class StateCell {
  server: Broadcaster | null = null;
  /** Write failures, unawaited rejections, and facts kept until the disk takes them. */
  readonly faults: Faults;
  /** The last commit the commit guard refused, per task: why its work may still be uncommitted. */
  readonly commitRefusals = new Map<TaskId, { at: string; details: string[] }>();
  /** Asks for a dispatch pass (set by the daemon to the dispatcher's). */
  onDispatch: () => void = () => undefined;
  /** Asks for a conflict scan (set by the daemon to the scanner's). */
  onScan: () => void = () => undefined;
  private stopping = false;
  private tipCache: { at: number; tip: string | null } | null = null;

  constructor(readonly ctx: SupervisorContext) {
    this.faults = new Faults({
      now: () => this.now(),
      stopping: () => this.stopping,
      notify: (n) => this.notify(n),
      audit: (events) => this.audit(events),
      republish: (from, to) => {
        this.publishChanges(from, to);
        this.onScan();
        this.scheduleDispatch();
      },
    });
    ctx.store.onRollback = (from, to, error) => this.faults.rolledBack(from, to, error);
    ctx.store.onProblem = (message) => this.faults.report(message);
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

  /** The worktree merges are integrated and gated in. */
  get integrationPath(): string {
    return join(this.ctx.paths.stateDir, 'integration');
  }

  now(): string {
    return new Date().toISOString();
  }

  /** Muster moved the target itself: the next read must not come from the cache. */
  forgetTip(): void {
    this.tipCache = null;
  }

  /** The target's tip, read at most every 200 ms (status is asked for often). */
  async targetTip(): Promise<string | null> {
    if (this.tipCache && Date.now() - this.tipCache.at < 200) return this.tipCache.tip;
    const tip = await readBranchTip(this.ctx.paths.repo.mainRoot, this.ctx.paths.repo.commonDir, this.ctx.target);
    this.tipCache = { at: Date.now(), tip };
    return tip;
  }

  actorOf(caller: Caller | undefined): string {
    if (!caller) return 'supervisor';
    const task = actorTask(this.state, caller);
    return task ? `task #${task}` : `operator (pid ${caller.ppid})`;
  }

  /**
   * The task a command acts for: an agent's own (by its ancestry), or for the operator the
   * task whose worktree it runs in or that MUSTER_TASK_ID names. An agent naming another is refused.
   */
  taskOfCaller(caller: Caller | undefined): TaskId | null {
    const r = taskOfCaller(this.state, caller);
    if (r.ok) return r.task;
    this.audit([{ actor: r.refusal.actor, kind: 'operator-only-refused', details: r.refusal.details }]);
    throw refusedClaim(r.refusal);
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
    if (before.locks !== next.locks || scanSignature(before) !== scanSignature(next)) this.onScan();
    this.scheduleDispatch();
    await durable;
  }

  /**
   * Replaces the state with one that differs only in data derived again every second (the
   * activity judged from an agent's screen) and tells subscribers, without a journal record or
   * an fsync of its own: with 32 agents that was one fdatasync on the main thread per change.
   * The next acknowledged change carries it to disk with its own record; a restart judges it anew.
   */
  applyDerived(next: MusterState): void {
    const before = this.ctx.store.data;
    this.ctx.store.data = next;
    this.publishChanges(before, next);
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
    // Views that show locks and the merge queue follow these, not only task changes.
    if (before.locks !== after.locks) this.server.broadcast('locks', { count: after.locks.locks.length });
    if (before.mergeRun !== after.mergeRun || before.mergeResults !== after.mergeResults || before.merges !== after.merges)
      this.server.broadcast('merges', { running: after.mergeRun?.task ?? null });
  }

  scheduleDispatch(): void {
    if (!this.stopping) this.onDispatch();
  }

  /** Audit lines for something that changed outside the store (a file, a process); kept trying while the disk is full. */
  audit(events: AuditInput[]): void {
    const time = this.now();
    const lines = events.map((e) => ({ time, ...e }));
    this.faults
      .recordFact(`the audit line${lines.length === 1 ? '' : 's'} ${lines.map((l) => l.kind).join(', ')}`, () => this.ctx.store.commit(lines))
      .catch((e: unknown) => {
        this.faults.report(`audit line${lines.length === 1 ? '' : 's'} ${lines.map((l) => l.kind).join(', ')} not written: ${(e as Error).message}`);
      });
  }

  /** Something the operator should notice: status line, bell, header count. */
  notify(n: Notice): void {
    this.server?.broadcast('notify', n);
  }

  /** The supervisor is shutting down: no dispatch from now on, and agent exits are its own doing. */
  beginStopping(): void {
    this.stopping = true;
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}
