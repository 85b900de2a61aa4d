import * as z from 'zod';
import { MusterError } from '../protocol/errors.js';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js';
import type { ConflictView, LockConflictView, LockView, TaskView } from '../protocol/shapes.js';

/** A request to the supervisor, on behalf of the task the server acts for. */
export type Call = <M extends MethodName>(method: M, params: ParamsOf<M>) => Promise<ResultOf<M>>;

/** What a tool answers: text a model can act on; `isError` when it was refused or failed. */
export interface ToolText {
  text: string;
  isError?: boolean;
}

/** One MCP tool: its contract (spec §13) and what it does through the supervisor. */
export interface MusterTool<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  description: string;
  input: S;
  run(args: z.infer<z.ZodObject<S>>, call: Call): Promise<ToolText>;
}

const tool = <S extends z.ZodRawShape>(t: MusterTool<S>): MusterTool<S> => t;

const paths = z.array(z.string().min(1)).min(1).describe('Paths or globs, relative to your worktree (e.g. "src/auth/login.ts", "src/auth/**").');

function holder(h: { task: number } | { pid: number }): string {
  return 'task' in h ? `task #${h.task}` : `the operator (pid ${h.pid})`;
}

function lockLine(l: LockView): string {
  return `${l.resource}  ${l.mode}  ${holder(l.owner)}${l.state === 'stale' ? '  (stale)' : ''}${l.declared ? '  (declared)' : ''}`;
}

function conflictLines(cs: readonly LockConflictView[]): string {
  return cs.map((c) => `- ${c.detail}`).join('\n');
}

const WAY_FORWARD =
  'Ways forward: wait for it (lock_acquire again with wait_seconds, e.g. 600), work on something else meanwhile, or tell the operator with context_add {"section": "blockers", "text": "..."}.';

export const MUSTER_TOOLS = [
  tool({
    name: 'lock_acquire',
    description:
      'Take locks before editing files outside your declared writes. Every path is granted or none; a refusal names the holder. mode: write (exclusive, default) or read (shared).',
    input: {
      paths,
      mode: z.enum(['read', 'write']).optional(),
      wait_seconds: z.number().int().min(0).max(3600).optional().describe('Queue up to this long for the locks (first come, first served).'),
    },
    async run(a, call) {
      const r = await call('lock.acquire', { resources: a.paths, mode: a.mode ?? 'write', waitMs: (a.wait_seconds ?? 0) * 1000 });
      if (r.granted)
        return {
          text: `Granted: ${r.locks.map((l) => `${l.resource} (${l.mode})`).join(', ')}. Release with lock_release when you no longer need them; they go anyway when the task is merged or cancelled.`,
        };
      return { text: `Not granted (nothing was taken):\n${conflictLines(r.conflicts)}\n${WAY_FORWARD}`, isError: true };
    },
  }),
  tool({
    name: 'lock_release',
    description: 'Release locks you took: the named paths, or all of your runtime locks with all: true.',
    input: { paths: paths.optional(), all: z.boolean().optional() },
    async run(a, call) {
      if (!a.all && !a.paths?.length) return { text: 'Name the paths to release, or pass all: true.', isError: true };
      const r = await call('lock.release', { resources: a.all ? [] : (a.paths ?? []), all: !!a.all });
      const released = r.released.length ? `Released: ${r.released.map((l) => l.resource).join(', ')}.` : 'Nothing was released.';
      return { text: r.notHeld.length ? `${released} You did not hold: ${r.notHeld.join(', ')}.` : released };
    },
  }),
  tool({
    name: 'lock_check',
    description: 'Whether you may write these paths: free for you, or who holds them.',
    input: { paths },
    async run(a, call) {
      const r = await call('lock.check', { paths: a.paths });
      if (r.free) return { text: `Free for you: ${a.paths.join(', ')}.` };
      return { text: `Held by others:\n${conflictLines(r.conflicts)}\n${WAY_FORWARD}` };
    },
  }),
  tool({
    name: 'locks_list',
    description: 'Every lock held on the repository: resource, mode, holder.',
    input: {},
    async run(_a, call) {
      const locks = await call('lock.list', {});
      return { text: locks.length ? `resource  mode  holder\n${locks.map(lockLine).join('\n')}` : 'No locks are held.' };
    },
  }),
  tool({
    name: 'context_add',
    description:
      'Append an entry to the shared context every agent and the operator read. section: patterns, decisions (default), blockers (alerts the operator), or any heading.',
    input: { text: z.string().min(1), section: z.string().optional() },
    async run(a, call) {
      const r = await call('context.add', { text: a.text, section: a.section ?? 'decisions' });
      return { text: `Added under "## ${r.section}": ${r.entry}` };
    },
  }),
  tool({
    name: 'context_read',
    description: 'Read the shared context (or one section of it): discovered patterns, decisions and blockers of all agents.',
    input: { section: z.string().optional() },
    async run(a, call) {
      const r = await call('context.show', a.section === undefined ? {} : { section: a.section });
      return { text: r.text.trim() ? r.text : '(the shared context is empty)' };
    },
  }),
  tool({
    name: 'task_info',
    description: "Your task: declared writes and reads, the locks you hold, conflicts that involve it, the operator's feedback.",
    input: {},
    async run(_a, call) {
      const me = await call('task.show', { id: await ownId(call) });
      const [locks, conflicts] = await Promise.all([call('lock.list', {}), call('conflicts', { fresh: false })]);
      return { text: taskInfo(me, locks, conflicts) };
    },
  }),
  tool({
    name: 'report_status',
    description: 'Tell the operator what you are doing: working, waiting-input (you need them; say why in note) or idle.',
    input: { activity: z.enum(['working', 'waiting-input', 'idle']), note: z.string().optional() },
    async run(a, call) {
      const t = await call('agent.status', { status: a.activity, note: a.note });
      return { text: `Reported: #${t.id} is ${a.activity}${a.note ? ` (${a.note})` : ''}.` };
    },
  }),
  tool({
    name: 'task_done',
    description: "Say the task is complete: it goes to the operator's review with your summary. Commit your work first.",
    input: { summary: z.string().min(1).describe('What changed and how you checked it; the operator reads it before merging.') },
    async run(a, call) {
      const t = await call('task.done', { summary: a.summary });
      return {
        text: `#${t.id} is in review with your summary. The operator reviews and merges it; if they send it back, their feedback arrives as a new message. Nothing more to do until then.`,
      };
    },
  }),
] as const;

async function ownId(call: Call): Promise<number> {
  // task.done without an id resolves the caller's task; task.show needs it: ask the supervisor which task this worktree is.
  const env = Number(process.env.MUSTER_TASK_ID);
  if (Number.isInteger(env) && env > 0) return env;
  const status = await call('status', {});
  const cwd = process.cwd();
  const mine = status.tasks.find((t) => t.worktree && (cwd === t.worktree || cwd.startsWith(`${t.worktree}/`)));
  if (!mine) throw new MusterError('bad-input', 'This muster MCP server runs outside any task worktree and without MUSTER_TASK_ID; start it from a task.');
  return mine.id;
}

export function taskInfo(t: TaskView, locks: readonly LockView[], conflicts: readonly ConflictView[]): string {
  const mine = locks.filter((l) => 'task' in l.owner && l.owner.task === t.id);
  const involved = conflicts.filter((c) => c.tasks.includes(t.id));
  const lines = [
    `Task #${t.id}: ${t.title} (${t.state}, risk ${t.risk})`,
    `Branch ${t.branch ?? '-'}, worktree ${t.worktree ?? '-'}`,
    `Declared writes: ${t.writes.join(', ') || '(none)'}`,
    `Declared reads: ${t.reads.join(', ') || '(none)'}`,
    `Locks you hold: ${mine.length ? mine.map((l) => `${l.resource} (${l.mode})`).join(', ') : '(none)'}`,
    `Conflicts that involve you: ${involved.length ? '' : '(none)'}`,
    ...involved.map((c) => `- ${c.kind}: ${c.detail}`),
    `Feedback from the operator: ${t.feedback.length ? '' : '(none)'}`,
    ...t.feedback.map((f, i) => `${i + 1}. ${f}`),
  ];
  if (t.summary) lines.push(`Your summary: ${t.summary}`);
  return lines.join('\n');
}

/** A refusal or failure of the supervisor as a tool result the model can read. */
export function errorText(e: unknown): ToolText {
  const msg = e instanceof MusterError ? e.message : `muster could not answer: ${(e as Error).message}`;
  return { text: msg, isError: true };
}
