import { z } from 'zod';
import { RISKS } from '../core/task.js';
import { statusViewSchema, taskViewSchema } from './shapes.js';

const taskId = z.number().int().positive();

/** Who is calling: lets a command run inside a worktree act for that worktree's task. */
export const callerSchema = z.object({
  cwd: z.string(),
  worktreeRoot: z.string().nullable(),
  envTaskId: z.number().int().positive().nullable(),
  pid: z.number().int(),
  ppid: z.number().int(),
});
export type Caller = z.infer<typeof callerSchema>;

export const taskAddParams = z.object({
  title: z.string(),
  prompt: z.string().optional(),
  agent: z.string().optional(),
  writes: z.array(z.string()).default([]),
  reads: z.array(z.string()).default([]),
  after: z.array(z.number().int()).default([]),
  risk: z.string().optional(),
});

export const queueMoveSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('up') }),
  z.object({ kind: z.literal('down') }),
  z.object({ kind: z.literal('top') }),
  z.object({ kind: z.literal('to'), position: z.number().int() }),
]);

const empty = z.object({}).default({});
const ack = z.object({ ok: z.literal(true) });

/** Every request the supervisor answers: params and result, checked on both ends. */
export const METHODS = {
  ping: { params: empty, result: z.object({ pid: z.number().int() }) },
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
} as const;

export type MethodName = keyof typeof METHODS;
export type ParamsOf<M extends MethodName> = z.input<(typeof METHODS)[M]['params']>;
export type ParsedParamsOf<M extends MethodName> = z.output<(typeof METHODS)[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<(typeof METHODS)[M]['result']>;

export const RISK_VALUES = RISKS;

export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}
