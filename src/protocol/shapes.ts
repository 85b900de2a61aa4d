import * as z from 'zod/mini';
import { ACTIVITIES, RISKS, TASK_STATES } from '../core/task.js';

/** `{base, last, named}` of a task's port slot, as `--json` prints it. */
export const portsViewSchema = z.object({
  slot: z.int(),
  base: z.int(),
  last: z.int(),
  named: z.record(z.string(), z.int()),
});

export const sessionViewSchema = z.object({
  n: z.int(),
  agent: z.string(),
  pid: z.nullable(z.int()),
  pidStart: z._default(z.nullable(z.string()), null),
  startedAt: z.string(),
  endedAt: z.nullable(z.string()),
  exitCode: z.nullable(z.int()),
  signal: z.nullable(z.int()),
});

/** A task as clients see it (`task add/show --json`). */
export const taskViewSchema = z.object({
  id: z.int().check(z.positive()),
  title: z.string(),
  prompt: z.string(),
  state: z.enum(TASK_STATES),
  agent: z.string(),
  risk: z.enum(RISKS),
  writes: z.array(z.string()),
  reads: z.array(z.string()),
  after: z.array(z.int()),
  branch: z.nullable(z.string()),
  worktree: z.nullable(z.string()),
  base: z.nullable(z.string()),
  ports: z.nullable(portsViewSchema),
  activity: z.enum(ACTIVITIES),
  activitySince: z.string(),
  activitySource: z.enum(['reported', 'heuristic', 'none']),
  reason: z.nullable(z.string()),
  position: z.nullable(z.int()),
  sessions: z.array(sessionViewSchema),
  feedback: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

export const lockOwnerSchema = z.union([z.object({ task: z.int() }), z.object({ pid: z.int() })]);
export const lockViewSchema = z.object({
  resource: z.string(),
  mode: z.enum(['read', 'write']),
  owner: lockOwnerSchema,
  state: z.enum(['active', 'stale']),
  acquiredAt: z.string(),
  expiresAt: z.nullable(z.string()),
  declared: z.boolean(),
});
export type LockView = z.infer<typeof lockViewSchema>;

/** Why a lock was not granted (`lock acquire --json` on exit 3). */
export const lockConflictViewSchema = z.object({
  resource: z.string(),
  mode: z.enum(['read', 'write']),
  holder: lockOwnerSchema,
  heldResource: z.string(),
  heldMode: z.enum(['read', 'write']),
  stale: z.boolean(),
  detail: z.string(),
});
export type LockConflictView = z.infer<typeof lockConflictViewSchema>;

export const lockAcquireResultSchema = z.union([
  z.object({ granted: z.literal(true), locks: z.array(lockViewSchema) }),
  z.object({ granted: z.literal(false), conflicts: z.array(lockConflictViewSchema) }),
]);

export const blockerViewSchema = z.object({
  key: z.string(),
  author: z.nullable(z.string()),
  time: z.nullable(z.string()),
  text: z.string(),
  acknowledged: z.boolean(),
});
export type BlockerView = z.infer<typeof blockerViewSchema>;

export const conflictViewSchema = z.object({
  kind: z.enum(['overlap', 'merge', 'lock', 'undeclared', 'stale', 'port']),
  tasks: z.array(z.int()),
  paths: z.array(z.string()),
  detail: z.string(),
});
export type ConflictView = z.infer<typeof conflictViewSchema>;

export const statusViewSchema = z.object({
  repo: z.string(),
  target: z.string(),
  targetTip: z.nullable(z.string()),
  daemon: z.object({ pid: z.int(), startedAt: z.string(), socket: z.string() }),
  workers: z.object({ running: z.int(), max: z.int() }),
  paused: z.boolean(),
  counts: z.record(z.string(), z.int()),
  blockers: z.object({ unread: z.int() }),
  configError: z.nullable(z.string()),
  agents: z.array(z.string()),
  defaultAgent: z.string(),
  idle: z.boolean(),
  tasks: z.array(taskViewSchema),
  locks: z.array(lockViewSchema),
  conflicts: z.array(conflictViewSchema),
});
export type StatusView = z.infer<typeof statusViewSchema>;

/** A terminal stream event: output bytes, or a whole repaint after the client fell behind. */
export const termEventSchema = z.union([
  z.object({ task: z.int(), data: z.string() }),
  z.object({ task: z.int(), reset: z.string() }),
  z.object({ task: z.int(), exited: z.boolean() }),
]);
export type TermEvent = z.infer<typeof termEventSchema>;

/** Changed rows of a watched pane (topic `rows`); `full` frames replace everything. */
export const rowFrameSchema = z.object({
  task: z.int(),
  width: z.int(),
  height: z.int(),
  rows: z.array(z.tuple([z.int(), z.string()])),
  full: z.boolean(),
});
export type RowFrameView = z.infer<typeof rowFrameSchema>;

export const mergeResultSchema = z.object({
  task: z.int(),
  at: z.string(),
  landed: z.boolean(),
  reason: z.nullable(z.string()),
  message: z.string(),
  gate: z.nullable(z.object({ name: z.string(), output: z.string() })),
  paths: z.array(z.string()),
  gates: z.array(z.object({ name: z.string(), ok: z.boolean() })),
});

/** One task of the merge queue as the merges view shows it. */
export const mergeEntrySchema = z.object({
  task: taskViewSchema,
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  files: z.array(z.object({ path: z.string(), added: z.nullable(z.int()), removed: z.nullable(z.int()) })),
  uncommitted: z.array(z.string()),
  result: z.nullable(mergeResultSchema),
  conflicts: z.array(conflictViewSchema),
});
export type MergeEntry = z.infer<typeof mergeEntrySchema>;

export const approveResultSchema = z.union([
  z.object({ landed: z.literal(true), target: z.string(), from: z.string(), to: z.string(), warning: z.nullable(z.string()) }),
  z.object({ landed: z.literal(false), reason: z.string(), message: z.string(), gate: z.optional(z.object({ name: z.string(), output: z.string() })), paths: z.optional(z.array(z.string())) }),
]);

export const gcResultSchema = z.object({
  removed: z.array(z.object({ task: z.int(), path: z.string(), archive: z.nullable(z.string()) })),
  kept: z.array(z.object({ task: z.nullable(z.int()), path: z.string(), why: z.string() })),
  pruned: z.int(),
});
export type GcResult = z.infer<typeof gcResultSchema>;
