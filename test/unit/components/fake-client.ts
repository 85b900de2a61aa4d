import type * as z from 'zod/mini';
import type { CockpitClient } from '../../../components/model/cockpit-store.js';
import { RISKS } from '../../../src/core/task.js';
import { MusterError, type ErrorCode } from '../../../src/protocol/errors.js';
import type { EventMessage } from '../../../src/protocol/messages.js';
import { METHODS, type MethodName, type ParamsOf, type ResultOf } from '../../../src/protocol/methods.js';
import type { TopicInput, TopicName } from '../../../src/protocol/topics.js';
import type { BlockerView, ConflictView, LockView, MergeEntry, StatusView, TaskView } from '../../../src/protocol/shapes.js';
import { AGENTS, at, CONTEXT_TEXT, diffOf, OVERLAP, REPO, shopBlockers, shopLocks, shopTasks, taskView } from './fixtures.js';

/** One request the cockpit sent, as it sent it. */
export interface Call {
  method: MethodName;
  params: unknown;
}

/** Requests that only read; everything else changes something on the supervisor. */
const READS: ReadonlySet<MethodName> = new Set<MethodName>(['subscribe', 'unsubscribe', 'status', 'merge.list', 'context.show', 'task.detail', 'term.history']);

const QUEUED: readonly TaskView['state'][] = ['backlog', 'ready', 'running', 'review', 'stalled', 'failed'];

/**
 * A `CockpitClient` over a small in-memory supervisor: it checks every request against the
 * protocol's params schema, records it, answers from the model (checked against the result
 * schema), and sends the `task` events the real supervisor would. Tests can refuse the next
 * call of a method, hold a call open, and emit any event.
 */
export class FakeClient implements CockpitClient {
  readonly calls: Call[] = [];
  readonly tasks = new Map<number, TaskView>();
  order: number[] = [];
  locks: LockView[] = shopLocks();
  conflicts: ConflictView[] = [OVERLAP];
  blockers: BlockerView[] = shopBlockers();
  paused = false;
  configError: string | null = null;
  /** The operator's process as the supervisor sees the cockpit: the owner of the locks it takes. */
  readonly operatorPid = 777;
  /**
   * How the next approval goes: the reasons the task shows on the way (as the supervisor's
   * task events do, step by step), then a stop; without it every approval lands.
   */
  nextApproval: { steps: string[]; stop?: { reason: string; message: string; gate?: { name: string; output: string } } } | null = null;
  /** Entries the cockpit added to the shared context, as `section: text`. */
  readonly contextAdded: string[] = [];
  tip = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
  canUndo: number | null = 8;
  /** The last merge attempt of a task, as `merge.list` reports it. */
  readonly results = new Map<number, MergeEntry['result']>();
  private previousTip = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
  private readonly refusals = new Map<MethodName, MusterError>();
  private readonly holds = new Map<MethodName, Promise<void>>();
  private readonly eventListeners = new Set<(e: EventMessage) => void>();
  /** Like the supervisor, events reach the cockpit only on the topics it subscribed to. */
  private readonly topics = new Set<string>();
  private readonly disconnectListeners = new Set<() => void>();

  constructor(tasks: TaskView[] = shopTasks()) {
    for (const t of tasks) this.tasks.set(t.id, t);
    this.order = tasks.map((t) => t.id);
  }

  onEvent(listener: (e: EventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const spec = METHODS[method] as unknown as { params: z.ZodMiniType; result: z.ZodMiniType };
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) throw new Error(`The cockpit sent ${method} params the protocol refuses: ${JSON.stringify(params)}`);
    this.calls.push({ method, params });
    // A socket never answers in the same tick.
    await Promise.resolve();
    await this.holds.get(method);
    const refusal = this.refusals.get(method);
    if (refusal) {
      this.refusals.delete(method);
      throw refusal;
    }
    return spec.result.parse(this.answer(method, parsed.data as Record<string, unknown>)) as ResultOf<M>;
  }

  /** Calls that change something (not status, lists or subscribe). */
  changes(): Call[] {
    return this.calls.filter((c) => !READS.has(c.method));
  }

  callsOf(method: MethodName): unknown[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.params);
  }

  /** The next call of `method` fails with this error, as the supervisor refuses it. */
  refuse(method: MethodName, code: ErrorCode, message: string): void {
    this.refusals.set(method, new MusterError(code, message));
  }

  /** Calls of `method` wait until the returned function is called. */
  hold(method: MethodName): () => void {
    let release = () => undefined as void;
    this.holds.set(method, new Promise<void>((r) => (release = r)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  /** Publishes an event as the supervisor would: its data as the topic's schema has it. */
  emit<T extends TopicName>(topic: T, data: TopicInput<T>): void {
    this.emitRaw(topic, data);
  }

  /** Publishes anything on a topic, such as data a broken supervisor might send. */
  emitRaw(topic: string, data: unknown): void {
    if (!this.topics.has(topic)) return;
    for (const l of this.eventListeners) l({ t: 'evt', topic, data });
  }

  disconnect(): void {
    for (const l of this.disconnectListeners) l();
  }

  /** Changes a task on the "supervisor" and sends its `task` event. */
  changeTask(id: number, patch: Partial<TaskView>): void {
    this.tasks.set(id, { ...this.task(id), ...patch, updatedAt: at(120) });
    this.emitTask(id);
  }

  /** Adds a task at queue `index` and sends `task` events for every task whose position moved. */
  insertTask(t: TaskView, index: number): void {
    const before = this.positions();
    this.tasks.set(t.id, t);
    this.order.splice(index, 0, t.id);
    this.emitMoved(before, t.id);
  }

  /** Moves a task to queue `index` and sends `task` events for every task whose position moved. */
  moveTo(id: number, index: number): void {
    const order = this.order.filter((x) => x !== id);
    order.splice(index, 0, id);
    this.reorder(order);
  }

  private reorder(order: number[]): void {
    const before = this.positions();
    this.order = order;
    this.emitMoved(before);
  }

  /** Every task with its queue position, in queue order, as `status` lists them. */
  taskViews(): TaskView[] {
    const pos = this.positions();
    return this.order.map((id) => ({ ...this.task(id), position: pos.get(id) ?? null }));
  }

  view(id: number): TaskView {
    return this.taskViews().find((t) => t.id === id)!;
  }

  status(): StatusView {
    const tasks = this.taskViews();
    const counts: Record<string, number> = {};
    for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return {
      repo: REPO,
      target: 'main',
      targetTip: this.tip,
      daemon: { pid: 4242, startedAt: at(0), socket: `${REPO}/.muster/muster.sock` },
      workers: { running: counts.running ?? 0, max: 4 },
      paused: this.paused,
      counts,
      blockers: { unread: this.blockers.filter((b) => !b.acknowledged).length },
      configError: this.configError,
      agents: ['claude', 'codex', 'aider', 'gemini', 'shell'],
      defaultAgent: 'claude',
      idle: false,
      tasks,
      locks: this.locks,
      conflicts: this.conflicts,
    };
  }

  mergeQueue(): number[] {
    return this.order.filter((id) => this.task(id).state === 'review');
  }

  private task(id: number): TaskView {
    const t = this.tasks.get(id);
    if (!t) throw new MusterError('not-found', `No task #${id}. "muster task list" shows the tasks there are.`);
    return t;
  }

  private positions(): Map<number, number> {
    const out = new Map<number, number>();
    for (const id of this.order) if (QUEUED.includes(this.task(id).state)) out.set(id, out.size + 1);
    return out;
  }

  private emitTask(id: number): void {
    this.emit('task', this.view(id));
  }

  private emitMoved(before: Map<number, number>, added?: number): void {
    const after = this.positions();
    for (const id of this.order) if (id === added || before.get(id) !== after.get(id)) this.emitTask(id);
  }

  private update(id: number, patch: Partial<TaskView>): TaskView {
    this.tasks.set(id, { ...this.task(id), ...patch, updatedAt: at(120) });
    this.emitTask(id);
    return this.view(id);
  }

  private require(id: number, states: TaskView['state'][], verb: string): TaskView {
    const t = this.task(id);
    if (!states.includes(t.state)) throw new MusterError('invalid-state', `Task #${id} is ${t.state}; only a ${states.join(', ')} task can be ${verb}.`);
    return t;
  }

  private mergeEntry(t: TaskView): MergeEntry {
    return {
      task: t,
      commits: [
        { sha: `c0ffe${t.id}1`, subject: `${t.title}: first pass` },
        { sha: `c0ffe${t.id}2`, subject: 'Address review notes' },
      ],
      files: [
        { path: t.writes[0]?.replace('/**', '/index.ts') ?? 'README.md', added: 42, removed: 7 },
        { path: 'assets/logo.png', added: null, removed: null },
      ],
      uncommitted: [],
      result: this.results.get(t.id) ?? null,
      conflicts: this.conflicts.filter((c) => c.tasks.includes(t.id)),
    };
  }

  // Params arrive parsed by the protocol schema; each branch answers like the supervisor would.
  private answer(method: MethodName, p: Record<string, unknown>): unknown {
    const id = p.id as number;
    switch (method) {
      case 'subscribe':
        for (const t of p.topics as string[]) this.topics.add(t);
        return { ok: true };
      case 'unsubscribe':
        for (const t of p.topics as string[]) this.topics.delete(t);
        return { ok: true };
      case 'status':
        return this.status();
      case 'dispatch.pause':
      case 'dispatch.resume':
        this.paused = method === 'dispatch.pause';
        return { paused: this.paused };
      case 'task.add': {
        const title = String(p.title).trim();
        if (!title) throw new MusterError('bad-input', 'A task needs a title.');
        const agent = (p.agent as string | undefined) ?? 'claude';
        if (!(AGENTS as readonly string[]).includes(agent))
          throw new MusterError('bad-input', `Unknown agent "${agent}". Configured agents: ${AGENTS.join(', ')}.`);
        const risk = (p.risk as string | undefined) ?? 'medium';
        if (!(RISKS as readonly string[]).includes(risk)) throw new MusterError('bad-input', `Risk "${risk}" is not one of low, medium, high.`);
        const after = p.after as number[];
        const next = Math.max(0, ...this.tasks.keys()) + 1;
        const t = taskView({
          id: next,
          title,
          prompt: (p.prompt as string | undefined) ?? title,
          agent,
          risk: risk as TaskView['risk'],
          writes: p.writes as string[],
          reads: p.reads as string[],
          after,
          state: after.length ? 'backlog' : 'ready',
          reason: after.length ? `waits for ${after.map((a) => `#${a}`).join(', ')}` : null,
        });
        this.tasks.set(next, t);
        this.order.push(next);
        this.emitTask(next);
        return this.view(next);
      }
      case 'task.move': {
        const movable = this.order.filter((x) => QUEUED.includes(this.task(x).state));
        if (!movable.includes(id)) throw new MusterError('invalid-state', `Task #${id} is ${this.task(id).state}; only tasks in the queue can be moved.`);
        const move = p.move as { kind: 'up' | 'down' | 'top' } | { kind: 'to'; position: number };
        const from = movable.indexOf(id);
        if (move.kind === 'to' && (move.position < 1 || move.position > movable.length))
          throw new MusterError('bad-input', `--to takes a position from 1 to ${movable.length}, not ${move.position}.`);
        const to =
          move.kind === 'up'
            ? Math.max(0, from - 1)
            : move.kind === 'down'
              ? Math.min(movable.length - 1, from + 1)
              : move.kind === 'to'
                ? move.position - 1
                : 0;
        const rest = movable.filter((x) => x !== id);
        rest.splice(to, 0, id);
        this.reorder([...rest, ...this.order.filter((x) => !movable.includes(x))]);
        return this.taskViews();
      }
      case 'task.assign': {
        const agent = String(p.agent);
        if (!(AGENTS as readonly string[]).includes(agent))
          throw new MusterError(
            'bad-input',
            `Unknown agent "${agent}". Configured agents: ${AGENTS.join(', ')} (add more under "agents:" in .muster/config.yaml).`,
          );
        const t = this.require(id, ['backlog', 'ready', 'running', 'review', 'stalled', 'failed'], 'given another agent');
        return this.update(id, t.state === 'running' ? { agent, state: 'ready', reason: `reassigned to ${agent}` } : { agent });
      }
      case 'task.done':
        if (this.task(id).state === 'review') return this.view(id);
        this.require(id, ['running', 'stalled', 'failed'], 'marked done');
        return this.update(id, { state: 'review', reason: 'marked done by operator' });
      case 'task.retry':
        this.require(id, ['failed', 'stalled', 'cancelled'], 'retried');
        return this.update(id, { state: 'ready', reason: null });
      case 'agent.dismiss': {
        const t = this.task(id);
        const last = t.sessions.at(-1);
        if (!last || last.endedAt === null)
          throw new MusterError('invalid-state', `Task #${id}'s agent is still running: only an exited agent's screen can be put away.`);
        return this.update(id, { sessions: t.sessions.map((s) => (s === last ? { ...s, dismissed: true } : s)) });
      }
      case 'task.cancel':
        this.require(id, ['backlog', 'ready', 'running', 'review', 'stalled', 'failed'], 'cancelled');
        return this.update(id, { state: 'cancelled', activity: 'exited', reason: `cancelled by operator; work kept at refs/muster/archive/${id}` });
      case 'merge.list':
        return {
          target: 'main',
          tip: this.tip,
          queue: this.mergeQueue().map((x) => this.mergeEntry(this.view(x))),
          running: null,
          canUndo: this.canUndo,
          undo: this.canUndo === null ? null : { task: this.canUndo, from: this.tip, to: this.previousTip },
        };
      case 'task.detail':
        return { ...this.mergeEntry(this.view(id)), locks: this.locks.filter((l) => 'task' in l.owner && l.owner.task === id) };
      case 'lock.release': {
        const resources = p.resources as string[];
        const mine = (l: LockView) =>
          p.task === undefined ? 'pid' in l.owner && l.owner.pid === this.operatorPid : 'task' in l.owner && l.owner.task === p.task;
        const released = this.locks.filter((l) => mine(l) && resources.includes(l.resource));
        this.locks = this.locks.filter((l) => !released.includes(l));
        if (released.length) this.emit('locks', { count: this.locks.length });
        return { released, notHeld: resources.filter((r) => !released.some((l) => l.resource === r)) };
      }
      case 'lock.acquire': {
        if (!p.steal) throw new Error('FakeClient only steals locks');
        const resources = p.resources as string[];
        const taken = resources.map((resource) => ({
          resource,
          mode: 'write' as const,
          owner: { pid: this.operatorPid },
          state: 'active' as const,
          acquiredAt: at(170),
          expiresAt: null,
          declared: false,
        }));
        this.locks = [...this.locks.filter((l) => !resources.includes(l.resource)), ...taken];
        this.emit('locks', { count: this.locks.length });
        return { granted: true, locks: taken };
      }
      case 'context.add':
        this.contextAdded.push(`${String(p.section)}: ${String(p.text)}`);
        this.emit('context', { unread: this.blockers.filter((b) => !b.acknowledged).length });
        return { section: String(p.section) === 'decisions' ? 'Decisions Made' : String(p.section), entry: `- [operator 12:00] ${String(p.text)}` };
      case 'merge.diff':
        return { diff: diffOf(this.require(id, ['review'], 'diffed')), base: this.tip };
      case 'merge.approve': {
        // A test may have moved it to merging meanwhile, as the supervisor's steps do.
        this.require(id, ['review', 'merging'], 'merged');
        const plan = this.nextApproval;
        this.nextApproval = null;
        for (const reason of plan?.steps ?? []) this.update(id, { state: 'merging', reason });
        if (plan?.stop) {
          this.results.set(id, {
            task: id,
            at: at(150),
            landed: false,
            reason: plan.stop.reason,
            message: plan.stop.message,
            gate: plan.stop.gate ?? null,
            paths: [],
            gates: plan.stop.gate ? [{ name: plan.stop.gate.name, ok: false }] : [],
          });
          this.update(id, { state: 'review', reason: plan.stop.message });
          return { landed: false, ...plan.stop };
        }
        const from = this.tip;
        this.previousTip = from;
        this.tip = `7e57ab1e${String(id).padStart(32, '0')}`;
        this.canUndo = id;
        this.update(id, { state: 'merged', activity: 'exited' });
        return { landed: true, target: 'main', from, to: this.tip, warning: null };
      }
      case 'merge.reject': {
        const t = this.require(id, ['review'], 'rejected');
        return this.update(id, { state: 'running', activity: 'working', feedback: [...t.feedback, String(p.reason)] });
      }
      case 'merge.skip':
        this.require(id, ['review'], 'skipped');
        this.moveTo(id, this.order.length);
        return this.mergeQueue();
      case 'merge.undo': {
        const task = this.canUndo;
        if (task === null) throw new MusterError('invalid-state', 'Nothing to undo: no merge landed on main since muster started.');
        const from = this.tip;
        this.tip = this.previousTip;
        this.canUndo = null;
        this.update(task, { state: 'review' });
        return { task, target: 'main', from, to: this.tip };
      }
      case 'context.show':
        return { file: `${REPO}/.muster/context.md`, text: CONTEXT_TEXT, blockers: this.blockers, unread: this.blockers.filter((b) => !b.acknowledged).length };
      case 'context.ack':
        this.blockers = this.blockers.map((b) => (p.keys === undefined || (p.keys as string[]).includes(b.key) ? { ...b, acknowledged: true } : b));
        this.emit('context', { unread: this.blockers.filter((b) => !b.acknowledged).length });
        return { unread: 0 };
      case 'term.attach':
        return { cols: p.cols ?? 80, rows: p.rows ?? 24, running: true };
      case 'term.history': {
        // 40 lines the log alone still has, then the emulator's 60 rows (one in colour).
        const task = Number(p.task);
        const recent = Array.from({ length: 60 }, (_, i) =>
          i === 57 ? `\x1b[31merror: #${task} cannot reach the database\x1b[0m` : `#${task} output ${i + 1}`,
        );
        return { older: Array.from({ length: 40 }, (_, i) => `#${task} older ${i + 1}`), dropped: 0, recent, width: 80, running: true };
      }
      case 'term.input':
        return { delivered: true };
      case 'term.detach':
        return { ok: true };
      default:
        throw new Error(`FakeClient does not answer ${method}; the cockpit was not expected to call it.`);
    }
  }
}
