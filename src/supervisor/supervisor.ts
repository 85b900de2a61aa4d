import { planDispatch } from '../core/dispatch-plan.js';
import type { AuditEvent, MusterState } from '../core/state.js';
import { updateTask } from '../core/task-queue.js';
import type { Task, TaskId } from '../core/task.js';
import { agentPresets, type MusterConfig } from '../config/schema.js';
import type { Store } from '../adapters/store/store.js';
import type { MusterPaths } from '../paths/muster-paths.js';
import type { Caller } from '../protocol/methods.js';
import type { SocketServer } from './server.js';
import { taskView, queuePositions } from './views.js';

export type AuditInput = Omit<AuditEvent, 'time'>;

/** What the supervisor knows that is not in the store. */
export interface SupervisorContext {
  paths: MusterPaths;
  config: MusterConfig;
  store: Store;
  pid: number;
  startedAt: string;
  target: string;
}

/**
 * The daemon's brain: owns the in-memory state, applies changes through the pure core, makes
 * them durable, tells subscribers, and re-plans dispatch after every change.
 */
export class Supervisor {
  server: SocketServer | null = null;
  private dispatchQueued = false;
  private stopping = false;
  onStop: (() => void) | null = null;

  constructor(readonly ctx: SupervisorContext) {}

  get state(): MusterState {
    return this.ctx.store.data;
  }

  get config(): MusterConfig {
    return this.ctx.config;
  }

  get agentNames(): string[] {
    return Object.keys(agentPresets(this.ctx.config));
  }

  now(): string {
    return new Date().toISOString();
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
    this.scheduleDispatch();
    await durable;
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

  /**
   * Records, for every ready task, why it waits or that it is next to start. Starting agents
   * is the agent layer's job; until it is wired, "next" is the decision.
   */
  async dispatch(): Promise<void> {
    const state = this.state;
    const plan = planDispatch(state, { maxWorkers: this.config.parallel.max_workers });
    let next = state;
    const now = this.now();
    const reasonOf = (t: Task): string | null => (plan.start.includes(t.id) ? 'next to start' : (plan.waiting.get(t.id) ?? null));
    for (const t of state.tasks) {
      if (t.state !== 'ready') continue;
      const reason = reasonOf(t);
      if (reason !== t.reason) next = updateTask(next, t.id, { reason }, now);
    }
    if (next !== state) await this.apply(next, []);
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.onStop?.();
  }

  get isStopping(): boolean {
    return this.stopping;
  }
}
