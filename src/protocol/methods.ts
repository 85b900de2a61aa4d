import * as z from 'zod/mini';
import { RISKS } from '../core/task.js';
import { lazyTable } from './lazy-table.js';
import { TOPIC_NAMES } from './topic-names.js';
import {
  conflictViewSchema,
  approveResultSchema,
  taskDetailSchema,
  mergeEntrySchema,
  blockerViewSchema,
  gcResultSchema,
  lockAcquireResultSchema,
  lockConflictViewSchema,
  lockOwnerSchema,
  lockViewSchema,
  statusViewSchema,
  taskViewSchema,
} from './shapes.js';

// The schemas here are built on first use (z.lazy, and METHODS a lazy table): a CLI command
// checks one request and one reply, and building every schema at import cost each one's start.

const taskId = z.lazy(() => z.int().check(z.positive()));

/** Who is calling: lets a command run inside a worktree act for that worktree's task. */
export const callerSchema = z.lazy(() =>
  z.object({
    cwd: z.string(),
    worktreeRoot: z.nullable(z.string()),
    envTaskId: z.nullable(z.int().check(z.positive())),
    pid: z.int(),
    ppid: z.int(),
    /** The process an operator lock belongs to: the caller's shell or script, past npm wrappers. */
    ownerPid: z.optional(z.int()),
  }),
);
export type Caller = z.infer<typeof callerSchema>;

export const taskAddParams = z.lazy(() =>
  z.object({
    title: z.string(),
    prompt: z.optional(z.string()),
    agent: z.optional(z.string()),
    writes: z._default(z.array(z.string()), []),
    reads: z._default(z.array(z.string()), []),
    after: z._default(z.array(z.int()), []),
    risk: z.optional(z.string()),
    /** false: the agent gets no hooks, MCP server or session wiring, only the brief and the CLI. */
    integration: z.optional(z.boolean()),
    /** A host under `hosts:` of the config to run on; absent: dispatch chooses. */
    host: z.optional(z.string()),
  }),
);

export const queueMoveSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('up') }),
    z.object({ kind: z.literal('down') }),
    z.object({ kind: z.literal('top') }),
    z.object({ kind: z.literal('to'), position: z.int() }),
  ]),
);

const empty = z.lazy(() => z._default(z.object({}), {}));
const ack = z.lazy(() => z.object({ ok: z.literal(true) }));

/** Every request the supervisor answers: params and result, checked on both ends. */
export const METHODS = lazyTable({
  ping: () => ({ params: empty, result: z.object({ pid: z.int() }) }),
  status: () => ({ params: empty, result: statusViewSchema }),
  'daemon.stop': () => ({ params: empty, result: ack }),
  'dispatch.pause': () => ({ params: empty, result: z.object({ paused: z.boolean() }) }),
  'dispatch.resume': () => ({ params: empty, result: z.object({ paused: z.boolean() }) }),
  'task.add': () => ({ params: taskAddParams, result: taskViewSchema }),
  'task.list': () => ({ params: empty, result: z.array(taskViewSchema) }),
  'task.show': () => ({ params: z.object({ id: taskId }), result: taskViewSchema }),
  'task.detail': () => ({ params: z.object({ id: taskId }), result: taskDetailSchema }),
  'task.cancel': () => ({ params: z.object({ id: taskId }), result: taskViewSchema }),
  'task.move': () => ({ params: z.object({ id: taskId, move: queueMoveSchema }), result: z.array(taskViewSchema) }),
  'task.assign': () => ({ params: z.object({ id: taskId, agent: z.string() }), result: taskViewSchema }),
  'task.done': () => ({ params: z.object({ id: z.optional(taskId), summary: z.optional(z.string()) }), result: taskViewSchema }),
  'task.retry': () => ({ params: z.object({ id: taskId, fresh: z._default(z.boolean(), false) }), result: taskViewSchema }),
  'agent.status': () => ({
    params: z.object({ status: z.enum(['working', 'waiting-input', 'idle']), task: z.optional(taskId), note: z.optional(z.string()) }),
    result: taskViewSchema,
  }),
  /** An agent's edit hook asks before a file is written; `path` is absolute. */
  'agent.pre-edit': () => ({
    params: z.object({ path: z.string(), tools: z._default(z.enum(['mcp', 'cli']), 'mcp') }),
    result: z.object({ task: z.nullable(z.int()), allow: z.boolean(), reason: z.nullable(z.string()), locked: z.nullable(z.string()) }),
  }),
  /** An agent's session started or resumed: the conversation to resume later. */
  'agent.session': () => ({
    params: z.object({ id: z.string(), transcript: z.optional(z.nullable(z.string())) }),
    result: z.object({ task: z.nullable(z.int()) }),
  }),
  /** An agent finished its turn and waits for the operator (Claude Code's Stop hook, Codex's notify). */
  'agent.turn-ended': () => ({
    params: z.object({ message: z.optional(z.string()), session: z.optional(z.string()) }),
    result: z.object({ task: z.nullable(z.int()), idleWithWork: z.boolean(), movedToReview: z.boolean() }),
  }),
  /** Puts away an exited agent's last screen: the agents view of every cockpit stops showing it, until a new session. */
  'agent.dismiss': () => ({ params: z.object({ id: taskId }), result: taskViewSchema }),
  'term.attach': () => ({
    params: z.object({
      task: taskId,
      /** The view's size: the agent's terminal is resized to it (the latest attach wins). */
      cols: z.optional(z.int().check(z.positive())),
      rows: z.optional(z.int().check(z.positive())),
      color: z._default(z.boolean(), true),
    }),
    result: z.object({ cols: z.int(), rows: z.int(), running: z.boolean() }),
  }),
  'term.watch': () => ({
    params: z.object({
      task: taskId,
      width: z.int().check(z.positive()),
      height: z.int().check(z.positive()),
      color: z._default(z.boolean(), true),
      cursor: z._default(z.boolean(), false),
      /** Resize the agent's terminal to this pane (the pane that shows it decides its size). */
      resize: z._default(z.boolean(), true),
    }),
    result: ack,
  }),
  'term.unwatch': () => ({ params: z.object({ task: taskId }), result: ack }),
  /**
   * The task's terminal output as text (topic `log` events carry the lines, in order, before
   * the reply); with `follow`, lines keep coming as they scroll off its screen until the agent
   * exits (`{task, end: true}`).
   */
  'term.log': () => ({
    params: z.object({ task: taskId, cols: z.optional(z.int().check(z.positive())), follow: z._default(z.boolean(), false) }),
    result: z.object({ lines: z.int(), following: z.boolean() }),
  }),
  /**
   * What scrolled by in the task's terminal, for reading: `recent` is the emulator's history and
   * screen as rows with colours (`width` wide), `older` the text of what came before it, from the
   * terminal log (the most recent lines, `dropped` more before them).
   */
  'term.history': () => ({
    params: z.object({ task: taskId, color: z._default(z.boolean(), true) }),
    result: z.object({ older: z.array(z.string()), dropped: z.int(), recent: z.array(z.string()), width: z.int(), running: z.boolean() }),
  }),
  'term.detach': () => ({ params: z.object({ task: taskId }), result: ack }),
  'term.input': () => ({ params: z.object({ task: taskId, data: z.string() }), result: z.object({ delivered: z.boolean() }) }),
  'term.resize': () => ({ params: z.object({ task: taskId, cols: z.int().check(z.positive()), rows: z.int().check(z.positive()) }), result: ack }),
  'lock.acquire': () => ({
    params: z.object({
      resources: z.array(z.string()),
      mode: z._default(z.enum(['read', 'write']), 'write'),
      task: z.optional(taskId),
      ttlMs: z.optional(z.nullable(z.int().check(z.positive()))),
      waitMs: z._default(z.int().check(z.nonnegative()), 0),
      steal: z._default(z.boolean(), false),
    }),
    result: lockAcquireResultSchema,
  }),
  'lock.release': () => ({
    params: z.object({ resources: z._default(z.array(z.string()), []), all: z._default(z.boolean(), false), task: z.optional(taskId) }),
    result: z.object({ released: z.array(lockViewSchema), notHeld: z.array(z.string()) }),
  }),
  'lock.list': () => ({ params: empty, result: z.array(lockViewSchema) }),
  'lock.check': () => ({
    params: z.object({ paths: z.array(z.string()), task: z.optional(taskId), mode: z._default(z.enum(['read', 'write']), 'write') }),
    result: z.object({ free: z.boolean(), conflicts: z.array(lockConflictViewSchema) }),
  }),
  'lock.guard': () => ({
    params: z.object({ paths: z.array(z.string()) }),
    result: z.object({
      task: z.nullable(z.int()),
      violations: z.array(z.object({ path: z.string(), resource: z.string(), holder: lockOwnerSchema, detail: z.string() })),
    }),
  }),
  'context.add': () => ({
    params: z.object({ text: z.string(), section: z._default(z.string(), 'patterns'), task: z.optional(taskId) }),
    result: z.object({ section: z.string(), entry: z.string() }),
  }),
  'context.show': () => ({
    params: z.object({ section: z.optional(z.string()) }),
    result: z.object({ file: z.string(), text: z.string(), blockers: z.array(blockerViewSchema), unread: z.int() }),
  }),
  'context.ack': () => ({ params: z.object({ keys: z.optional(z.array(z.string())) }), result: z.object({ unread: z.int() }) }),
  'task.import': () => ({
    params: z.object({ name: z.string(), markdown: z.string() }),
    result: z.object({ tasks: z.array(taskViewSchema), locks: z.array(lockViewSchema) }),
  }),
  conflicts: () => ({ params: z.object({ fresh: z._default(z.boolean(), true) }), result: z.array(conflictViewSchema) }),
  'merge.list': () => ({
    params: empty,
    result: z.object({
      target: z.string(),
      tip: z.nullable(z.string()),
      queue: z.array(mergeEntrySchema),
      running: z.nullable(z.int()),
      canUndo: z.nullable(z.int()),
      /** What `merge undo` would do now: the task whose landing comes off, the target moving from → to. */
      undo: z.optional(z.nullable(z.object({ task: z.int(), from: z.string(), to: z.string() }))),
    }),
  }),
  'merge.approve': () => ({ params: z.object({ id: taskId }), result: approveResultSchema }),
  'merge.reject': () => ({ params: z.object({ id: taskId, reason: z.string() }), result: taskViewSchema }),
  'merge.skip': () => ({ params: z.object({ id: taskId }), result: z.array(z.int()) }),
  'merge.undo': () => ({ params: empty, result: z.object({ task: z.int(), target: z.string(), from: z.string(), to: z.string() }) }),
  'merge.diff': () => ({ params: z.object({ id: taskId }), result: z.object({ diff: z.string(), base: z.string() }) }),
  subscribe: () => ({ params: z.object({ topics: z.array(z.enum(TOPIC_NAMES)) }), result: ack }),
  /** Stops the events of these topics on this connection (a repository the fleet cockpit no longer shows). */
  unsubscribe: () => ({ params: z.object({ topics: z.array(z.enum(TOPIC_NAMES)) }), result: ack }),
  gc: () => ({ params: z.object({ force: z._default(z.boolean(), false) }), result: gcResultSchema }),
});

export type MethodName = keyof typeof METHODS;

/**
 * Requests that change nothing, so a client whose supervisor died before answering can say
 * "nothing was changed" (for every other one it cannot know).
 */
export const READ_ONLY_METHODS: ReadonlySet<MethodName> = new Set<MethodName>([
  'ping',
  'status',
  'task.list',
  'task.show',
  'term.attach',
  'term.detach',
  'term.unwatch',
  'term.log',
  'term.history',
  'lock.list',
  'lock.check',
  'lock.guard',
  'context.show',
  'conflicts',
  'merge.list',
  'merge.diff',
  'subscribe',
  'unsubscribe',
]);
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]['params']>;
export type ParsedParamsOf<M extends MethodName> = z.output<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<(typeof METHODS)[M]['result']>;

export const RISK_VALUES = RISKS;

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}
