import { z } from 'zod';
import type { MergeRun } from '../../core/merge-plan.js';
import type { MusterState } from '../../core/state.js';
import { AGENT_INTEGRATIONS } from '../../core/agent-integration.js';
import { ACTIVITIES, RISKS, TASK_STATES } from '../../core/task.js';
import { portsViewSchema, sessionViewSchema } from '../../protocol/shapes.js';

/** Since version 2 the store keeps a reference to the prompt's file, never the text. */
export const promptRefSchema = z.object({
  // Only the place muster itself writes: a hand-edited store must not make it read elsewhere.
  file: z.string().regex(/^tasks\/[1-9]\d*\/prompt\.txt$/, { error: 'tasks/<id>/prompt.txt' }),
  bytes: z.number().int().nonnegative(),
  preview: z.string(),
});

const storedTaskSchema = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  prompt: promptRefSchema,
  agent: z.string(),
  writes: z.array(z.string()),
  reads: z.array(z.string()),
  after: z.array(z.number().int()),
  risk: z.enum(RISKS),
  state: z.enum(TASK_STATES),
  reason: z.string().nullable(),
  branch: z.string().nullable(),
  worktree: z.string().nullable(),
  base: z.string().nullable(),
  ports: z.nullable(portsViewSchema),
  activity: z.object({ status: z.enum(ACTIVITIES), since: z.string(), source: z.enum(['reported', 'heuristic', 'none']) }),
  sessions: z.array(sessionViewSchema),
  feedback: z.array(z.string()).default([]),
  handoffFrom: z.string().nullable().default(null),
  summary: z.string().nullable().default(null),
  conversations: z
    .array(
      z.object({
        agent: z.string(),
        kind: z.enum(AGENT_INTEGRATIONS).nullable().default(null),
        id: z.string(),
        transcript: z.string().nullable(),
        startedAt: z.string(),
        feedbackSeen: z.number().int(),
      }),
    )
    .default([]),
  idleWithWork: z.boolean().default(false),
  integration: z.boolean().default(true),
  host: z.string().nullable().default(null),
  // Added in version 3 (see migrations.ts), which derives it for older tasks.
  setup: z.object({ done: z.array(z.string()), complete: z.boolean() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const lockOwnerSchema = z.union([
  z.object({ kind: z.literal('task'), task: z.number().int() }),
  z.object({ kind: z.literal('operator'), pid: z.number().int(), startTime: z.string().nullable() }),
]);
const lockRequestSchema = z.object({ resource: z.string(), mode: z.enum(['read', 'write']) });
const lockTableSchema = z.object({
  locks: z.array(
    lockRequestSchema.extend({
      owner: lockOwnerSchema,
      acquiredAt: z.string(),
      expiresAt: z.string().nullable(),
      declared: z.boolean(),
      leaseUntil: z.string().nullable().optional(),
    }),
  ),
  waiters: z.array(
    z.object({
      id: z.number().int(),
      owner: lockOwnerSchema,
      requests: z.array(lockRequestSchema),
      ttlMs: z.number().nullable(),
      enqueuedAt: z.string(),
      deadline: z.string(),
    }),
  ),
  nextWaiterId: z.number().int(),
});

const mergeRecordSchema = z.object({
  task: z.number().int(),
  target: z.string(),
  strategy: z.enum(['merge', 'rebase', 'squash']),
  from: z.string(),
  to: z.string(),
  backupRef: z.string(),
  at: z.string(),
  undone: z.boolean(),
  undoneAt: z.string().nullable(),
});

/** The store file of the current schema version. Fields added within a version have defaults. */
export const storeSchema = z.object({
  version: z.number().int(),
  nextTaskId: z.number().int().positive(),
  paused: z.boolean(),
  order: z.array(z.number().int()),
  tasks: z.array(storedTaskSchema),
  locks: lockTableSchema.default({ locks: [], waiters: [], nextWaiterId: 1 }),
  imports: z.array(z.object({ id: z.number().int(), file: z.string(), tasks: z.array(z.number().int()), ownerTag: z.string(), at: z.string() })).default([]),
  acknowledgedBlockers: z.array(z.string()).default([]),
  merges: z.array(mergeRecordSchema).default([]),
  // The run is the core's own data, checked by the core when it is advanced.
  mergeRun: z
    .custom<MergeRun>((v) => v === null || (typeof v === 'object' && v !== null && 'task' in v && 'phase' in v))
    .nullable()
    .default(null),
  mergeResults: z
    .array(
      z.object({
        task: z.number().int(),
        at: z.string(),
        landed: z.boolean(),
        reason: z.string().nullable(),
        message: z.string(),
        gate: z.object({ name: z.string(), output: z.string() }).nullable(),
        paths: z.array(z.string()),
        gates: z.array(z.object({ name: z.string(), ok: z.boolean() })),
      }),
    )
    .default([]),
});

// The schema and the core type must describe the same data.
type Stored = z.output<typeof storeSchema>;
const _sameShape: (s: Stored) => MusterState = (s) => s;
void _sameShape;
