import { patternsOverlap } from './glob.js';
import { ownerLabel, sameOwner, type LockTable } from './lock-table.js';
import { formatId, type Task } from './task.js';

/** How an agent reaches muster: the MCP tools its CLI was given, or the `muster` command. */
export type BriefTools = 'mcp' | 'cli';

export interface BriefInput {
  task: Pick<Task, 'id' | 'title' | 'branch' | 'worktree' | 'writes' | 'reads' | 'risk' | 'ports'>;
  locks: LockTable;
  contextFile: string;
  promptFile: string;
  tools: BriefTools;
}

/** Longest the brief may be; it is the first thing an agent reads and must stay short. */
export const BRIEF_MAX_LINES = 40;
const MAX_LOCK_LINES = 6;

/**
 * The short brief every agent reads first: who it is in the swarm, what it holds, what others
 * hold that matters to it, and how to coordinate (MCP tools where the agent has them, the
 * `muster` CLI otherwise). No line starts with "@" or "-" followed by a flag, so it is never
 * mistaken for an instruction to a tool or an option.
 */
export function swarmBrief(i: BriefInput): string {
  const t = i.task;
  const id = formatId(t.id);
  const lines: string[] = [
    `# muster: you are task ${id}, one of several coding agents working on this repository at once`,
    `Task: ${t.title}`,
    `Branch ${t.branch ?? '(not created yet)'}, worktree ${t.worktree ?? '(not created yet)'}. Edit files only in this worktree; the other agents each have their own.`,
    `Risk: ${t.risk}${t.risk === 'low' ? ' (no declared locks)' : t.risk === 'high' ? ' (runs alone; the operator approves its merge)' : ''}.`,
    `Declared writes (write-locked for you): ${list(t.writes)}`,
    `Declared reads (read-locked for you): ${list(t.reads)}`,
  ];
  const others = relevantLocks(i);
  if (others.length) {
    lines.push('Held by others; do not edit these:');
    for (const l of others.slice(0, MAX_LOCK_LINES)) lines.push(`  ${l}`);
    if (others.length > MAX_LOCK_LINES)
      lines.push(`  …and ${others.length - MAX_LOCK_LINES} more (${i.tools === 'mcp' ? 'locks_list' : 'muster lock list'} shows all)`);
  } else lines.push('Held by others that matters to you: nothing right now.');
  if (t.ports)
    lines.push(
      `Ports: ${t.ports.base}-${t.ports.last} (PORT=${t.ports.base}${Object.entries(t.ports.named)
        .map(([n, p]) => `, ${n}=${p}`)
        .join('')}); use only these.`,
    );
  lines.push(`Shared context with the other agents: ${i.contextFile} (Discovered Patterns, Decisions Made, Blockers).`);
  lines.push(`Your full instructions: ${i.promptFile}.`);
  lines.push('', i.tools === 'mcp' ? '## Coordinating, with the muster MCP tools' : '## Coordinating, with the muster command (on your PATH)');
  lines.push(...(i.tools === 'mcp' ? MCP_HOWTO : CLI_HOWTO));
  return `${lines.slice(0, BRIEF_MAX_LINES).join('\n')}\n`;
}

const MCP_HOWTO = [
  'Before editing a file outside your declared writes, take it: lock_acquire {"paths": ["src/x.ts"]}. A refusal names the holder: wait (wait_seconds), work on something else, or add a blocker.',
  'lock_check / locks_list show who holds what; lock_release frees a lock you took and no longer need.',
  'Record what others should know: context_add {"text": "...", "section": "decisions"} (or "patterns"); something that stops you: section "blockers" (the operator is alerted). context_read reads it.',
  "task_info shows your task, your locks, conflicts that involve you and the operator's feedback.",
  'report_status {"activity": "waiting-input", "note": "..."} when you need the operator.',
  'Commit your work on your branch. When the task is complete: task_done {"summary": "what changed and how you checked it"}. The operator reviews and merges; never merge or push yourself.',
];

const CLI_HOWTO = [
  'Before editing a file outside your declared writes, take it: muster lock acquire src/x.ts (exit 3 names the holder: add --wait 600, work on something else, or add a blocker).',
  'muster lock check <path> / muster lock list show who holds what; muster lock release <path> frees a lock you took.',
  'Record what others should know: muster context add --section decisions "..." (or patterns); something that stops you: --section blockers (the operator is alerted). muster context show reads it.',
  "muster task show $MUSTER_TASK_ID shows your task and the operator's feedback.",
  'muster agent status waiting-input when you need the operator.',
  'Commit your work on your branch. When the task is complete: muster task done --summary "what changed and how you checked it". The operator reviews and merges; never merge or push yourself.',
];

function list(xs: readonly string[]): string {
  return xs.length ? xs.join(', ') : '(none)';
}

/**
 * Locks of other owners that matter to the task: write locks overlapping what it declares, or
 * every other write lock when it declares nothing (a low-risk task may touch anything).
 */
function relevantLocks(i: BriefInput): string[] {
  const owner = { kind: 'task' as const, task: i.task.id };
  const mine = [...i.task.writes, ...i.task.reads];
  return i.locks.locks
    .filter((l) => l.mode === 'write' && !sameOwner(l.owner, owner))
    .filter((l) => !mine.length || mine.some((m) => patternsOverlap(m, l.resource)))
    .map((l) => `${l.resource} (${ownerLabel(l.owner)}, ${l.mode})`);
}

export interface ResumeInput {
  taskId: number;
  /** Feedback the resumed conversation has not been told yet. */
  newFeedback: readonly string[];
  /** A hand-off note when other agents worked on the task since this conversation last ran. */
  handoff: string | null;
  promptFile: string;
  tools: BriefTools;
}

/** The new message of a resumed conversation: what happened since, and what to do now. */
export function resumeMessage(i: ResumeInput): string {
  const parts: string[] = [`# muster: task ${formatId(i.taskId)} continues in this conversation`];
  if (i.handoff) parts.push(i.handoff.trimEnd(), 'Other agents worked on this task since you last did (above). Read their work, then carry on with the task.');
  if (i.newFeedback.length) {
    parts.push(
      `## Feedback from the operator\n\n${i.newFeedback.map((f, n) => `${n + 1}. ${f}`).join('\n')}`,
      'Address this feedback, commit, and say the task is done again.',
    );
  }
  if (!i.handoff && !i.newFeedback.length)
    parts.push(
      'Your previous session ended before the task was done. Check the state of your worktree (git status, git log), then carry on where you left off.',
    );
  parts.push(
    `Your full instructions are still in ${i.promptFile}. When the task is complete: ${i.tools === 'mcp' ? 'task_done {"summary": "..."}' : 'muster task done --summary "..."'}.`,
  );
  return `${parts.join('\n\n')}\n`;
}
