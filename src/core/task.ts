import type { AgentIntegration } from './agent-integration.js';

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
  /** The operator put its last screen away once it exited; a new session is shown again. */
  dismissed: boolean;
}

/**
 * An agent conversation muster can resume (`claude --resume=<id>`): one per agent preset, so
 * reassigning back to a preset picks up its own conversation.
 */
export interface Conversation {
  agent: string;
  /** The CLI that holds it: a conversation resumes only with the same CLI (null: recorded before muster said). */
  kind: AgentIntegration | null;
  id: string;
  /** The agent's transcript file, as its SessionStart hook reported it; null until it did. */
  transcript: string | null;
  startedAt: string;
  /** How many of the task's feedback items this conversation has been told. */
  feedbackSeen: number;
}

export interface ActivityStatus {
  status: Activity;
  since: string;
  /** `reported` by `muster agent status`, `heuristic` from the terminal, or `none`. */
  source: 'reported' | 'heuristic' | 'none';
}

/** How far `worktrees.setup` got in a task's current worktree. */
export interface SetupProgress {
  /** The configured commands that succeeded there, in order (a prefix of the configured list). */
  done: string[];
  /** Every configured command succeeded: setup does not run again in this worktree. */
  complete: boolean;
}

/**
 * Where a task's prompt is kept. The text lives in a file of its own, so a large prompt never
 * weighs on the store that every change rewrites; the store keeps this reference.
 */
export interface PromptRef {
  /** The file holding the prompt's text, relative to the state directory: `tasks/7/prompt.txt`. */
  file: string;
  /** Its length in UTF-8 bytes. */
  bytes: number;
  /** Its first non-blank line, cut to `PROMPT_PREVIEW_CHARS`, for lists. */
  preview: string;
}

export interface Task {
  id: TaskId;
  title: string;
  prompt: PromptRef;
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
  /** What the agent said it did when it declared the task done (`task_done`, `task done --summary`). */
  summary: string | null;
  /** Resumable conversations of the agents that worked on the task, one per preset. */
  conversations: Conversation[];
  /** The agent ended its turn with commits on its branch and nothing since: the operator may send it to review. */
  idleWithWork: boolean;
  /** False: the agent gets no hooks, MCP server or session wiring (the brief and the CLI only). */
  integration: boolean;
  /**
   * The configured host (`hosts:`) the task runs on, or null for this machine. Named when the
   * task is added, or chosen by dispatch; a retry stays where its worktree is.
   */
  host: string | null;
  /** Recorded as each setup command succeeds, so a retry runs what did not (a new worktree starts it over). */
  setup: SetupProgress;
  createdAt: string;
  updatedAt: string;
}

/** What a caller supplies to create a task. */
export interface TaskInput {
  title: string;
  /** The prompt's text; the title when absent. */
  prompt?: string | undefined;
  agent: string;
  writes?: string[] | undefined;
  reads?: string[] | undefined;
  after?: TaskId[] | undefined;
  risk?: Risk | undefined;
  integration?: boolean | undefined;
  /** A configured host to run on; none: dispatch chooses. */
  host?: string | null | undefined;
}

/**
 * Whether a task takes a worker slot: it runs, or it went to review while its agent process
 * still runs (an interactive agent that said it is done keeps its session until it exits or
 * is stopped, and that session still costs a worker).
 */
export function holdsWorker(task: Pick<Task, 'state' | 'sessions'> & { host?: string | null }): boolean {
  if (task.state === 'running') return true;
  const last = task.sessions[task.sessions.length - 1];
  // A task stalled because its host went away still has its agent running there, in one of that host's workers.
  if (task.state === 'stalled' && task.host) return !!last && last.endedAt === null;
  return task.state === 'review' && !!last && last.endedAt === null;
}

/** The conversation of an agent preset on a task, if one was recorded. */
export function conversationOf(task: Pick<Task, 'conversations'>, agent: string): Conversation | null {
  return task.conversations.find((c) => c.agent === agent) ?? null;
}
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

/**
 * The largest prompt muster takes, in UTF-8 bytes: far more than any agent reads in one go
 * (about a million tokens), far less than the socket's message limit.
 */
export const MAX_PROMPT_BYTES = 4 * 1024 * 1024;
export const PROMPT_PREVIEW_CHARS = 120;

/** Where task `id`'s prompt text is kept, relative to the state directory. Not `PROMPT.md`: on a case-insensitive disk that is the same file. */
export function promptFileOf(id: TaskId): string {
  return `tasks/${id}/prompt.txt`;
}

/** A reference to a prompt about to be written to its file. */
export function promptRef(id: TaskId, text: string): PromptRef {
  const line =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  let preview = line;
  if (line.length > PROMPT_PREVIEW_CHARS) {
    const cut = line.slice(0, PROMPT_PREVIEW_CHARS - 1);
    // Never end on half of a surrogate pair.
    preview = `${/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
  }
  return { file: promptFileOf(id), bytes: utf8Length(text), preview };
}

/** The UTF-8 length of a string without encoding it (lone surrogates count as U+FFFD). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
