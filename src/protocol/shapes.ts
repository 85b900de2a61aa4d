import { z } from 'zod';
import { ACTIVITIES, RISKS, TASK_STATES } from '../core/task.js';

/** `{base, last, named}` of a task's port slot, as `--json` prints it. */
export const portsViewSchema = z.object({
  slot: z.number().int(),
  base: z.number().int(),
  last: z.number().int(),
  named: z.record(z.string(), z.number().int()),
});

export const sessionViewSchema = z.object({
  n: z.number().int(),
  agent: z.string(),
  pid: z.number().int().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
});

/** A task as clients see it (`task add/show --json`). */
export const taskViewSchema = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  prompt: z.string(),
  state: z.enum(TASK_STATES),
  agent: z.string(),
  risk: z.enum(RISKS),
  writes: z.array(z.string()),
  reads: z.array(z.string()),
  after: z.array(z.number().int()),
  branch: z.string().nullable(),
  worktree: z.string().nullable(),
  base: z.string().nullable(),
  ports: portsViewSchema.nullable(),
  activity: z.enum(ACTIVITIES),
  activitySince: z.string(),
  activitySource: z.enum(['reported', 'heuristic', 'none']),
  reason: z.string().nullable(),
  position: z.number().int().nullable(),
  sessions: z.array(sessionViewSchema),
  feedback: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

export const lockOwnerSchema = z.union([z.object({ task: z.number().int() }), z.object({ pid: z.number().int() })]);
export const lockViewSchema = z.object({
  resource: z.string(),
  mode: z.enum(['read', 'write']),
  owner: lockOwnerSchema,
  state: z.enum(['active', 'stale']),
  acquiredAt: z.string(),
  expiresAt: z.string().nullable(),
  declared: z.boolean(),
});
export type LockView = z.infer<typeof lockViewSchema>;

export const conflictViewSchema = z.object({
  kind: z.enum(['overlap', 'merge', 'lock', 'undeclared', 'stale', 'port']),
  tasks: z.array(z.number().int()),
  paths: z.array(z.string()),
  detail: z.string(),
});
export type ConflictView = z.infer<typeof conflictViewSchema>;

export const statusViewSchema = z.object({
  repo: z.string(),
  target: z.string(),
  targetTip: z.string().nullable(),
  daemon: z.object({ pid: z.number().int(), startedAt: z.string(), socket: z.string() }),
  workers: z.object({ running: z.number().int(), max: z.number().int() }),
  paused: z.boolean(),
  counts: z.record(z.string(), z.number().int()),
  blockers: z.object({ unread: z.number().int() }),
  configError: z.string().nullable(),
  tasks: z.array(taskViewSchema),
  locks: z.array(lockViewSchema),
  conflicts: z.array(conflictViewSchema),
});
export type StatusView = z.infer<typeof statusViewSchema>;
