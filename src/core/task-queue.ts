import { findCycle } from './dependency-graph.js';
import { refuseNul } from './input-text.js';
import { ok, refuse, type Result } from './result.js';
import { isQueued as queued } from './task-states.js';
import { MAX_PROMPT_BYTES, RISKS, formatId, promptRef, utf8Length, type Task, type TaskId, type TaskInput, type TaskState } from './task.js';

/** The part of the store the queue core works on. */
export interface QueueState {
  tasks: Task[];
  /** Queue order of every task id; dispatch walks it front to back. */
  order: TaskId[];
  nextTaskId: number;
  paused: boolean;
}

export const MAX_TITLE = 200;

/** Which state changes are legal. Everything else is refused. */
const TRANSITIONS: Record<TaskState, readonly TaskState[]> = {
  backlog: ['ready', 'cancelled'],
  ready: ['backlog', 'running', 'cancelled'],
  running: ['review', 'failed', 'stalled', 'cancelled', 'ready'],
  review: ['merging', 'running', 'ready', 'cancelled'],
  merging: ['merged', 'review'],
  merged: ['review'],
  stalled: ['running', 'ready', 'review', 'failed', 'cancelled'],
  failed: ['running', 'ready', 'review', 'cancelled'],
  cancelled: ['ready'],
};

export function canTransition(from: TaskState, to: TaskState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function getTask(state: QueueState, id: TaskId): Task | undefined {
  return state.tasks.find((t) => t.id === id);
}

export function requireTask(state: QueueState, id: TaskId): Result<Task> {
  const task = getTask(state, id);
  return task ? ok(task) : refuse('not-found', `No task ${formatId(id)}. "muster task list" shows the tasks there are.`);
}

/** Checks a new task against the queue: title, risk, agent, dependencies and cycles. */
export function validateTaskInput(state: QueueState, input: TaskInput, agents: readonly string[]): Result<TaskInput & { prompt: string }> {
  const texts: [string, string][] = [
    ['The title', input.title],
    ['The prompt', input.prompt ?? ''],
    ...(input.writes ?? []).map((w): [string, string] => [`--writes ${JSON.stringify(w)}`, w]),
    ...(input.reads ?? []).map((r): [string, string] => [`--reads ${JSON.stringify(r)}`, r]),
  ];
  for (const [field, text] of texts) {
    const clean = refuseNul(field, text);
    if (!clean.ok) return clean;
  }
  const title = input.title.trim();
  if (!title) return refuse('bad-input', 'A task needs a title: muster task add "Fix the login redirect" --prompt "..."');
  if (title.length > MAX_TITLE)
    return refuse('bad-input', `The title is ${title.length} characters long; keep it under ${MAX_TITLE} and put the detail in --prompt.`);
  if (/[\n\r]/.test(title)) return refuse('bad-input', 'A title is one line of text: move line breaks into --prompt.');
  const prompt = input.prompt ?? title;
  const bytes = utf8Length(prompt);
  if (bytes > MAX_PROMPT_BYTES) return refuse('bad-input', promptTooLarge(bytes));
  if (input.risk !== undefined && !RISKS.includes(input.risk)) {
    return refuse('bad-input', `Unknown risk "${String(input.risk)}": use low, medium or high.`);
  }
  const agent = checkAgent(input.agent, agents);
  if (!agent.ok) return agent;
  for (const dep of input.after ?? []) {
    if (!Number.isInteger(dep) || dep < 1) return refuse('bad-input', `--after takes task ids such as 3 or #3, not "${dep}".`);
  }
  // The new task is part of the graph, so naming its own id is a cycle, not an unknown id.
  const edges = new Map<TaskId, TaskId[]>(state.tasks.map((t) => [t.id, t.after]));
  edges.set(state.nextTaskId, [...new Set(input.after ?? [])]);
  const cycle = findCycle(edges);
  if (cycle) return refuse('bad-input', `--after would make a dependency cycle: ${cycle.map(formatId).join(' -> ')}. Remove one of these dependencies.`);
  for (const dep of input.after ?? []) {
    if (!getTask(state, dep))
      return refuse('bad-input', `--after ${formatId(dep)}: there is no task ${formatId(dep)}. "muster task list" shows the tasks there are.`);
  }
  return ok({ ...input, title, prompt });
}

/** An agent preset that is configured, or why not and where to configure one. */
export function checkAgent(agent: string, agents: readonly string[]): Result<string> {
  if (agents.includes(agent)) return ok(agent);
  return refuse('bad-input', `Unknown agent "${agent}". Configured agents: ${agents.join(', ')} (add more under "agents:" in .muster/config.yaml).`);
}

/** Why a prompt is refused for its size, and what to do instead. */
export function promptTooLarge(bytes: number): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `The prompt is ${mb(bytes)} (${bytes} bytes); muster takes prompts up to ${mb(MAX_PROMPT_BYTES)}. Put the material in a file in the repository and have a short prompt point the agent at it.`;
}

/** Adds a validated task at the back of the queue. */
export function addTask<S extends QueueState>(state: S, input: TaskInput, now: string): { state: S; task: Task } {
  const id = state.nextTaskId;
  const task: Task = {
    id,
    title: input.title.trim(),
    prompt: promptRef(id, input.prompt ?? input.title.trim()),
    agent: input.agent,
    writes: dedupe(input.writes ?? []),
    reads: dedupe(input.reads ?? []),
    after: dedupe(input.after ?? []),
    risk: input.risk ?? 'medium',
    state: 'backlog',
    reason: null,
    branch: null,
    worktree: null,
    base: null,
    ports: null,
    activity: { status: 'unknown', since: now, source: 'none' },
    sessions: [],
    feedback: [],
    handoffFrom: null,
    summary: null,
    conversations: [],
    idleWithWork: false,
    integration: input.integration ?? true,
    host: input.host ?? null,
    setup: { done: [], complete: false },
    createdAt: now,
    updatedAt: now,
  };
  const next = settleDependencies({ ...state, tasks: [...state.tasks, task], order: [...state.order, id], nextTaskId: id + 1 });
  return { state: next, task: getTask(next, id) ?? task };
}

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** Replaces one task, stamping its update time. */
export function updateTask<S extends QueueState>(state: S, id: TaskId, patch: Partial<Task>, now: string): S {
  return { ...state, tasks: state.tasks.map((t) => (t.id === id ? { ...t, ...patch, updatedAt: now } : t)) };
}

/** Moves a task to `to`, refusing transitions the state machine does not have. */
export function transition<S extends QueueState>(state: S, id: TaskId, to: TaskState, now: string, reason: string | null = null): Result<S> {
  const found = requireTask(state, id);
  if (!found.ok) return found;
  const task = found.value;
  if (!canTransition(task.state, to)) {
    return refuse('invalid-state', `Task ${formatId(id)} is ${task.state}; it cannot become ${to}.`);
  }
  return ok(settleDependencies(updateTask(state, id, { state: to, reason }, now)));
}

/** Why a not-yet-started task cannot become ready, or null when every dependency is merged. */
export function dependencyReason(state: QueueState, task: Task): string | null {
  const waiting: string[] = [];
  for (const dep of task.after) {
    const d = getTask(state, dep);
    if (!d) waiting.push(`${formatId(dep)} (missing)`);
    else if (d.state === 'cancelled') waiting.push(`${formatId(dep)} (cancelled)`);
    else if (d.state !== 'merged') waiting.push(formatId(dep));
  }
  return waiting.length ? `waits for ${waiting.join(', ')}` : null;
}

/** Moves tasks between backlog and ready as their dependencies land or un-land. */
export function settleDependencies<S extends QueueState>(state: S): S {
  let changed = false;
  const tasks = state.tasks.map((t) => {
    if (t.state !== 'backlog' && t.state !== 'ready') return t;
    const why = dependencyReason(state, t);
    if (why && (t.state !== 'backlog' || t.reason !== why)) {
      changed = true;
      return { ...t, state: 'backlog' as const, reason: why };
    }
    if (!why && t.state === 'backlog') {
      changed = true;
      return { ...t, state: 'ready' as const, reason: null };
    }
    return t;
  });
  return changed ? { ...state, tasks } : state;
}

export type QueueMove = { kind: 'up' } | { kind: 'down' } | { kind: 'top' } | { kind: 'to'; position: number };

/** Reorders the queue. Positions count from 1 among the tasks still waiting or running. */
export function moveTask<S extends QueueState>(state: S, id: TaskId, move: QueueMove): Result<S> {
  const found = requireTask(state, id);
  if (!found.ok) return found;
  const movable = state.order.filter((x) => isQueued(getTask(state, x)));
  if (!movable.includes(id)) {
    return refuse('invalid-state', `Task ${formatId(id)} is ${found.value.state}; only tasks in the queue (backlog, ready, running, review) can be moved.`);
  }
  const from = movable.indexOf(id);
  let to: number;
  switch (move.kind) {
    case 'up':
      to = Math.max(0, from - 1);
      break;
    case 'down':
      to = Math.min(movable.length - 1, from + 1);
      break;
    case 'top':
      to = 0;
      break;
    case 'to':
      if (!Number.isInteger(move.position) || move.position < 1 || move.position > movable.length) {
        return refuse('bad-input', `--to takes a position from 1 to ${movable.length}, not ${move.position}.`);
      }
      to = move.position - 1;
  }
  const reordered = movable.filter((x) => x !== id);
  reordered.splice(to, 0, id);
  // Tasks outside the queue keep their place at the end, in their old relative order.
  const rest = state.order.filter((x) => !movable.includes(x));
  return ok({ ...state, order: [...reordered, ...rest] });
}

function isQueued(task: Task | undefined): boolean {
  return !!task && queued(task.state);
}

/** Tasks in queue order. */
export function orderedTasks(state: QueueState): Task[] {
  const byId = new Map(state.tasks.map((t) => [t.id, t]));
  const seen = new Set<TaskId>();
  const out: Task[] = [];
  for (const id of state.order) {
    const t = byId.get(id);
    if (t && !seen.has(id)) {
      out.push(t);
      seen.add(id);
    }
  }
  for (const t of state.tasks) if (!seen.has(t.id)) out.push(t);
  return out;
}
