import * as z from 'zod/mini';
import { AGENT_INTEGRATIONS } from '../core/agent-integration.js';
import { ACTIVITIES, RISKS, TASK_STATES } from '../core/task.js';

// Every schema is built on first use (z.lazy): a CLI command checks one request and one reply,
// and building all of them cost each command's start about 10 ms.

/** `{base, last, named}` of a task's port slot, as `--json` prints it. */
export const portsViewSchema = z.lazy(() =>
  z.object({
    slot: z.int(),
    base: z.int(),
    last: z.int(),
    named: z.record(z.string(), z.int()),
  }),
);

export const sessionViewSchema = z.lazy(() =>
  z.object({
    n: z.int(),
    agent: z.string(),
    pid: z.nullable(z.int()),
    pidStart: z._default(z.nullable(z.string()), null),
    startedAt: z.string(),
    endedAt: z.nullable(z.string()),
    exitCode: z.nullable(z.int()),
    signal: z.nullable(z.int()),
    /** The operator put this exited session's last screen away (`D`): the agents view no longer shows it. */
    dismissed: z._default(z.boolean(), false),
  }),
);

export const conversationViewSchema = z.lazy(() =>
  z.object({
    agent: z.string(),
    /** The CLI that holds the conversation (claude, codex, gemini), or null when not recorded. */
    kind: z._default(z.nullable(z.enum(AGENT_INTEGRATIONS)), null),
    id: z.string(),
    transcript: z.nullable(z.string()),
    startedAt: z.string(),
    feedbackSeen: z.int(),
  }),
);

/** A task as clients see it (`task add/show --json`). */
export const taskViewSchema = z.lazy(() =>
  z.object({
    id: z.int().check(z.positive()),
    title: z.string(),
    /** The prompt's text: only in `task.add` and `task.show` results; lists carry its size and first line. */
    prompt: z.optional(z.string()),
    /** Why `task.show` has no prompt text: its file cannot be read. */
    promptError: z.optional(z.string()),
    promptBytes: z.int(),
    promptPreview: z.string(),
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
    /** What the agent said it did when it declared the task done. */
    summary: z._default(z.nullable(z.string()), null),
    /** The current agent's resumable conversation id (e.g. Claude Code's session id). */
    session: z._default(z.nullable(z.string()), null),
    conversations: z._default(z.array(conversationViewSchema), []),
    /** The agent ended its turn with commits on its branch: it may be sent to review. */
    idleWithWork: z._default(z.boolean(), false),
    /** false: the agent runs without muster's hooks, MCP server and session wiring. */
    integration: z._default(z.boolean(), true),
    /** The configured host it runs on; null: this machine (or not placed yet). */
    host: z._default(z.nullable(z.string()), null),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);
export type TaskView = z.infer<typeof taskViewSchema>;

export const lockOwnerSchema = z.lazy(() => z.union([z.object({ task: z.int() }), z.object({ pid: z.int() })]));
export const lockViewSchema = z.lazy(() =>
  z.object({
    resource: z.string(),
    mode: z.enum(['read', 'write']),
    owner: lockOwnerSchema,
    state: z.enum(['active', 'stale']),
    acquiredAt: z.string(),
    expiresAt: z.nullable(z.string()),
    declared: z.boolean(),
    /** A lock of a task on another host: when its lease lapses unless the host renews it; null: no lease. */
    leaseUntil: z.optional(z.nullable(z.string())),
  }),
);
export type LockView = z.infer<typeof lockViewSchema>;

/** Why a lock was not granted (`lock acquire --json` on exit 3). */
export const lockConflictViewSchema = z.lazy(() =>
  z.object({
    resource: z.string(),
    mode: z.enum(['read', 'write']),
    holder: lockOwnerSchema,
    heldResource: z.string(),
    heldMode: z.enum(['read', 'write']),
    stale: z.boolean(),
    detail: z.string(),
  }),
);
export type LockConflictView = z.infer<typeof lockConflictViewSchema>;

export const lockAcquireResultSchema = z.lazy(() =>
  z.union([
    z.object({ granted: z.literal(true), locks: z.array(lockViewSchema) }),
    z.object({ granted: z.literal(false), conflicts: z.array(lockConflictViewSchema) }),
  ]),
);
export type LockAcquireResult = z.infer<typeof lockAcquireResultSchema>;

export const blockerViewSchema = z.lazy(() =>
  z.object({
    key: z.string(),
    author: z.nullable(z.string()),
    time: z.nullable(z.string()),
    text: z.string(),
    acknowledged: z.boolean(),
  }),
);
export type BlockerView = z.infer<typeof blockerViewSchema>;

export const conflictViewSchema = z.lazy(() =>
  z.object({
    kind: z.enum(['overlap', 'merge', 'lock', 'undeclared', 'stale', 'port', 'scan-failed']),
    tasks: z.array(z.int()),
    paths: z.array(z.string()),
    detail: z.string(),
  }),
);
export type ConflictView = z.infer<typeof conflictViewSchema>;

export const statusViewSchema = z.lazy(() =>
  z.object({
    repo: z.string(),
    target: z.string(),
    targetTip: z.nullable(z.string()),
    daemon: z.object({ pid: z.int(), startedAt: z.string(), socket: z.string() }),
    /** This machine's workers; each host under `hosts:` counts its own (absent from a supervisor before hosts had their count). */
    workers: z.object({
      running: z.int(),
      max: z.int(),
      hosts: z.optional(z.array(z.object({ name: z.string(), running: z.int(), max: z.int(), reachable: z.boolean() }))),
    }),
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
  }),
);
export type StatusView = z.infer<typeof statusViewSchema>;

/** Changed rows of a watched pane (topic `rows`); `full` frames replace everything. */
const rowFrameShape = () => ({
  task: z.int(),
  width: z.int(),
  height: z.int(),
  rows: z.array(z.tuple([z.int(), z.string()])),
  full: z.boolean(),
});
export const rowFrameSchema = z.lazy(() => z.object(rowFrameShape()));
export type RowFrameView = z.infer<typeof rowFrameSchema>;

export const screenModesSchema = z.lazy(() =>
  z.object({
    appCursor: z.boolean(),
    appKeypad: z.boolean(),
    bracketedPaste: z.boolean(),
    mouse: z.enum(['none', 'x10', 'vt200', 'drag', 'any']),
    mouseSgr: z.boolean(),
    focus: z.boolean(),
    cursorShape: z.enum(['default', 'block', 'underline', 'bar']),
    cursorBlink: z.boolean(),
  }),
);

/**
 * An attached agent's screen (topic `screen`): changed rows as for a pane, where the real
 * cursor goes (null: hidden), and the input modes the agent wants; or, once, that its agent
 * ended.
 */
export const screenFrameSchema = z.lazy(() =>
  z.object({
    ...rowFrameShape(),
    cursor: z.nullable(z.object({ x: z.int(), y: z.int() })),
    modes: screenModesSchema,
  }),
);
export type ScreenFrameView = z.infer<typeof screenFrameSchema>;

export const screenEventSchema = z.lazy(() =>
  z.union([screenFrameSchema, z.object({ task: z.int(), ended: z.object({ exitCode: z.nullable(z.int()), signal: z.nullable(z.int()) }) })]),
);
export type ScreenEvent = z.infer<typeof screenEventSchema>;

/** Lines of `muster log` (topic `log`), or the end of a followed log. */
export const logEventSchema = z.lazy(() =>
  z.union([z.object({ task: z.int(), lines: z.array(z.string()) }), z.object({ task: z.int(), end: z.literal(true) })]),
);

export const mergeResultSchema = z.lazy(() =>
  z.object({
    task: z.int(),
    at: z.string(),
    landed: z.boolean(),
    reason: z.nullable(z.string()),
    message: z.string(),
    gate: z.nullable(z.object({ name: z.string(), output: z.string() })),
    paths: z.array(z.string()),
    gates: z.array(z.object({ name: z.string(), ok: z.boolean() })),
  }),
);

/** One task of the merge queue as the merges view shows it. */
const mergeEntryShape = () => ({
  task: taskViewSchema,
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  files: z.array(z.object({ path: z.string(), added: z.nullable(z.int()), removed: z.nullable(z.int()) })),
  uncommitted: z.array(z.string()),
  result: z.nullable(mergeResultSchema),
  conflicts: z.array(conflictViewSchema),
  /** The last commit of the task the commit guard refused, if any: why work may be uncommitted. */
  commitRefused: z.optional(z.nullable(z.object({ at: z.string(), details: z.array(z.string()) }))),
});
export const mergeEntrySchema = z.lazy(() => z.object(mergeEntryShape()));
export type MergeEntry = z.infer<typeof mergeEntrySchema>;

/** Everything the task detail view shows of one task (`task.detail`). */
export const taskDetailSchema = z.lazy(() =>
  z.object({
    ...mergeEntryShape(),
    locks: z.array(lockViewSchema),
  }),
);
export type TaskDetail = z.infer<typeof taskDetailSchema>;

export const approveResultSchema = z.lazy(() =>
  z.union([
    z.object({ landed: z.literal(true), target: z.string(), from: z.string(), to: z.string(), warning: z.nullable(z.string()) }),
    z.object({
      landed: z.literal(false),
      reason: z.string(),
      message: z.string(),
      gate: z.optional(z.object({ name: z.string(), output: z.string() })),
      paths: z.optional(z.array(z.string())),
    }),
  ]),
);
export type ApproveResult = z.infer<typeof approveResultSchema>;

export const gcResultSchema = z.lazy(() =>
  z.object({
    removed: z.array(z.object({ task: z.int(), path: z.string(), archive: z.nullable(z.string()) })),
    kept: z.array(z.object({ task: z.nullable(z.int()), path: z.string(), why: z.string() })),
    pruned: z.int(),
  }),
);
export type GcResult = z.infer<typeof gcResultSchema>;
