import * as z from 'zod/mini';
import { RISKS } from '../core/task.js';
import { conflictViewSchema, approveResultSchema, mergeEntrySchema, blockerViewSchema, gcResultSchema, lockAcquireResultSchema, lockConflictViewSchema, lockOwnerSchema, lockViewSchema, statusViewSchema, taskViewSchema } from './shapes.js';

const taskId = z.int().check(z.positive());

/** Who is calling: lets a command run inside a worktree act for that worktree's task. */
export const callerSchema = z.object({
  cwd: z.string(),
  worktreeRoot: z.nullable(z.string()),
  envTaskId: z.nullable(z.int().check(z.positive())),
  pid: z.int(),
  ppid: z.int(),
  /** The process an operator lock belongs to: the caller's shell or script, past npm wrappers. */
  ownerPid: z.optional(z.int()),
});
export type Caller = z.infer<typeof callerSchema>;

export const taskAddParams = z.object({
  title: z.string(),
  prompt: z.optional(z.string()),
  agent: z.optional(z.string()),
  writes: z._default(z.array(z.string()), []),
  reads: z._default(z.array(z.string()), []),
  after: z._default(z.array(z.int()), []),
  risk: z.optional(z.string()),
});

export const queueMoveSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('up') }),
  z.object({ kind: z.literal('down') }),
  z.object({ kind: z.literal('top') }),
  z.object({ kind: z.literal('to'), position: z.int() }),
]);

const empty = z._default(z.object({}), {});
const ack = z.object({ ok: z.literal(true) });

/** Every request the supervisor answers: params and result, checked on both ends. */
export const METHODS = {
  ping: { params: empty, result: z.object({ pid: z.int() }) },
  status: { params: empty, result: statusViewSchema },
  'daemon.stop': { params: empty, result: ack },
  'dispatch.pause': { params: empty, result: z.object({ paused: z.boolean() }) },
  'dispatch.resume': { params: empty, result: z.object({ paused: z.boolean() }) },
  'task.add': { params: taskAddParams, result: taskViewSchema },
  'task.list': { params: empty, result: z.array(taskViewSchema) },
  'task.show': { params: z.object({ id: taskId }), result: taskViewSchema },
  'task.cancel': { params: z.object({ id: taskId }), result: taskViewSchema },
  'task.move': { params: z.object({ id: taskId, move: queueMoveSchema }), result: z.array(taskViewSchema) },
  'task.assign': { params: z.object({ id: taskId, agent: z.string() }), result: taskViewSchema },
  'task.done': { params: z.object({ id: z.optional(taskId) }), result: taskViewSchema },
  'task.retry': { params: z.object({ id: taskId }), result: taskViewSchema },
  'agent.status': { params: z.object({ status: z.enum(['working', 'waiting-input', 'idle']), task: z.optional(taskId) }), result: taskViewSchema },
  'term.attach': {
    params: z.object({ task: taskId, cols: z.optional(z.int().check(z.positive())), rows: z.optional(z.int().check(z.positive())) }),
    result: z.object({ screen: z.string(), cols: z.int(), rows: z.int(), running: z.boolean() }),
  },
  'term.watch': {
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
  },
  'term.unwatch': { params: z.object({ task: taskId }), result: ack },
  'term.detach': { params: z.object({ task: taskId }), result: ack },
  'term.input': { params: z.object({ task: taskId, data: z.string() }), result: z.object({ delivered: z.boolean() }) },
  'term.resize': { params: z.object({ task: taskId, cols: z.int().check(z.positive()), rows: z.int().check(z.positive()) }), result: ack },
  'lock.acquire': {
    params: z.object({
      resources: z.array(z.string()),
      mode: z._default(z.enum(['read', 'write']), 'write'),
      task: z.optional(taskId),
      ttlMs: z.optional(z.nullable(z.int().check(z.positive()))),
      waitMs: z._default(z.int().check(z.nonnegative()), 0),
      steal: z._default(z.boolean(), false),
    }),
    result: lockAcquireResultSchema,
  },
  'lock.release': {
    params: z.object({ resources: z._default(z.array(z.string()), []), all: z._default(z.boolean(), false), task: z.optional(taskId) }),
    result: z.object({ released: z.array(lockViewSchema), notHeld: z.array(z.string()) }),
  },
  'lock.list': { params: empty, result: z.array(lockViewSchema) },
  'lock.check': {
    params: z.object({ paths: z.array(z.string()), task: z.optional(taskId), mode: z._default(z.enum(['read', 'write']), 'write') }),
    result: z.object({ free: z.boolean(), conflicts: z.array(lockConflictViewSchema) }),
  },
  'lock.guard': {
    params: z.object({ paths: z.array(z.string()) }),
    result: z.object({ task: z.nullable(z.int()), violations: z.array(z.object({ path: z.string(), resource: z.string(), holder: lockOwnerSchema, detail: z.string() })) }),
  },
  'context.add': {
    params: z.object({ text: z.string(), section: z._default(z.string(), 'patterns'), task: z.optional(taskId) }),
    result: z.object({ section: z.string(), entry: z.string() }),
  },
  'context.show': {
    params: z.object({ section: z.optional(z.string()) }),
    result: z.object({ file: z.string(), text: z.string(), blockers: z.array(blockerViewSchema), unread: z.int() }),
  },
  'context.ack': { params: z.object({ keys: z.optional(z.array(z.string())) }), result: z.object({ unread: z.int() }) },
  'task.import': {
    params: z.object({ name: z.string(), markdown: z.string() }),
    result: z.object({ tasks: z.array(taskViewSchema), locks: z.array(lockViewSchema) }),
  },
  conflicts: { params: z.object({ fresh: z._default(z.boolean(), true) }), result: z.array(conflictViewSchema) },
  'merge.list': { params: empty, result: z.object({ target: z.string(), tip: z.nullable(z.string()), queue: z.array(mergeEntrySchema), running: z.nullable(z.int()), canUndo: z.nullable(z.int()) }) },
  'merge.approve': { params: z.object({ id: taskId }), result: approveResultSchema },
  'merge.reject': { params: z.object({ id: taskId, reason: z.string() }), result: taskViewSchema },
  'merge.skip': { params: z.object({ id: taskId }), result: z.array(z.int()) },
  'merge.undo': { params: empty, result: z.object({ task: z.int(), target: z.string(), from: z.string(), to: z.string() }) },
  'merge.diff': { params: z.object({ id: taskId }), result: z.object({ diff: z.string(), base: z.string() }) },
  subscribe: { params: z.object({ topics: z.array(z.string()) }), result: ack },
  gc: { params: z.object({ force: z._default(z.boolean(), false) }), result: gcResultSchema },
} as const;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]['params']>;
export type ParsedParamsOf<M extends MethodName> = z.output<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<(typeof METHODS)[M]['result']>;

export const RISK_VALUES = RISKS;

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}
