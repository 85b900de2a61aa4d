/** A task's id: a sequential integer, shown as `#7`. */
export type TaskId = number;

export const TASK_STATES = ['backlog', 'ready', 'running', 'review', 'merging', 'merged', 'stalled', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

export const ACTIVITIES = ['working', 'waiting-input', 'idle', 'exited', 'unknown'] as const;
export type Activity = (typeof ACTIVITIES)[number];

/** A task's block of ports: slot k owns `[base, last]`. */
export interface PortBlock {
  slot: number;
  base: number;
  last: number;
  named: Record<string, number>;
}

/** One run of an agent on a task. */
export interface AgentSession {
  n: number;
  agent: string;
  pid: number | null;
  /** The pid's process start time, so a reused pid is never taken for the agent. */
  pidStart: string | null;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  signal: number | null;
}

export interface ActivityStatus {
  status: Activity;
  since: string;
  /** `reported` by `muster agent status`, `heuristic` from the terminal, or `none`. */
  source: 'reported' | 'heuristic' | 'none';
}

export interface Task {
  id: TaskId;
  title: string;
  prompt: string;
  agent: string;
  writes: string[];
  reads: string[];
  after: TaskId[];
  risk: Risk;
  state: TaskState;
  /** Why the task is where it is ("waits for #3", "src/auth/** held by #5"), or null. */
  reason: string | null;
  branch: string | null;
  worktree: string | null;
  /** The target commit the branch was created from. */
  base: string | null;
  ports: PortBlock | null;
  activity: ActivityStatus;
  sessions: AgentSession[];
  /** Operator feedback from rejected merges, oldest first. */
  feedback: string[];
  /** Set when the task changed agent after work began: the next session gets a hand-off note. */
  handoffFrom: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a caller supplies to create a task. */
export interface TaskInput {
  title: string;
  prompt?: string | undefined;
  agent: string;
  writes?: string[] | undefined;
  reads?: string[] | undefined;
  after?: TaskId[] | undefined;
  risk?: Risk | undefined;
}

/** States in which a task holds a worker. */
export const ACTIVE_STATES: readonly TaskState[] = ['running'];
/** States from which nothing further happens without the operator. */
export const FINAL_STATES: readonly TaskState[] = ['merged', 'cancelled'];

export function formatId(id: TaskId): string {
  return `#${id}`;
}

/** Branch-name slug: lowercase `[a-z0-9-]`, never empty, never interpreted by a shell. */
export function slugify(title: string, max = 40): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return slug || 'task';
}

export function branchName(id: TaskId, title: string): string {
  return `muster/${id}-${slugify(title)}`;
}
