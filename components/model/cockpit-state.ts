import type { CommandId } from '../../src/keymap/index.js';
import type { BlockerView, ConflictView, LockView, StatusView, TaskDetail, TaskView } from '../../src/protocol/shapes.js';
import type { ResultOf } from '../../src/protocol/methods.js';
import type { FleetView } from '../fleet-header.js';

export type ViewName = 'agents' | 'tasks' | 'locks' | 'conflicts' | 'merges' | 'context';
export const VIEWS: readonly ViewName[] = ['agents', 'tasks', 'locks', 'conflicts', 'merges', 'context'];

export type MergeList = ResultOf<'merge.list'>;

/** A field of a form: a line of text, several lines, or a choice among `options`. */
export interface FormField {
  name: string;
  label: string;
  value: string;
  hint?: string;
  /** Where typing goes, in characters from the start; the end when absent. */
  cursor?: number;
  /** Enter submits the form; new lines come from pastes and alt+enter. */
  multiline?: boolean;
  /** A picker: the value is one of these, chosen with left/right or a first letter. */
  options?: readonly string[];
}

export type FormKind = 'new-task' | 'reassign' | 'reject' | 'reply' | 'answer' | 'search';

export interface FormState {
  kind: FormKind;
  title: string;
  task: number | null;
  fields: FormField[];
  focus: number;
  error: string | null;
  /** What the form is about besides a task: the key of the blocker an answer is for. */
  ref?: string;
}

/** What covers the current view and takes the keyboard. */
export type Overlay =
  | { kind: 'help'; scroll: number }
  | { kind: 'confirm'; message: string; command: CommandId; task: number | null; item?: string }
  | { kind: 'quit' }
  | { kind: 'form'; form: FormState }
  | { kind: 'diff'; task: number; lines: string[]; scroll: number }
  /** One task in full; `tasks` are the ones tab steps through (a conflict's), `detail` null while loading. */
  | { kind: 'detail'; tasks: number[]; index: number; scroll: number; detail: TaskDetail | null; error: string | null }

  /**
   * An agent's output to read: `rows` as drawn (the log's older lines, then the emulator's rows
   * with colours), `plain` the same without escape sequences for searching; `top` the first row
   * shown, `mark` the row of the last match; `search` the prompt while it is open; `reattach`
   * when it was opened from an attached agent, which leaving it attaches again.
   */
  | {
      kind: 'scrollback';
      task: number;
      rows: string[];
      plain: string[];
      olderRows: number;
      dropped: number;
      top: number;
      mark: number | null;
      query: string;
      search: FormState | null;
      note: string | null;
      reattach: boolean;
    }
  /** The supervisor went away: say so until a connection is back (`starting`: r was pressed). */
  | { kind: 'offline'; starting: boolean; error: string | null };

export interface Flash {
  text: string;
  tone: 'info' | 'error' | 'notice';
  at: number;
}

/** Everything the cockpit shows; selection is by identity (task id, lock key), never by row index. */
export interface CockpitState {
  connected: boolean;
  status: StatusView | null;
  tasks: TaskView[];
  locks: LockView[];
  conflicts: ConflictView[];
  merges: MergeList | null;
  context: { text: string; blockers: BlockerView[]; unread: number } | null;
  view: ViewName;
  selected: Partial<Record<ViewName, string | number | null>>;
  overlay: Overlay | null;
  flash: Flash | null;
  size: { cols: number; rows: number };
  attached: number | null;
  busy: string | null;
  /** A cockpit of several repositories (or a remote one): them all, and the current one. */
  fleet?: FleetView | null;
}

export function initialState(size: { cols: number; rows: number }): CockpitState {
  return {
    connected: false,
    status: null,
    tasks: [],
    locks: [],
    conflicts: [],
    merges: null,
    context: null,
    view: 'agents',
    selected: {},
    overlay: null,
    flash: null,
    size,
    attached: null,
    busy: null,
  };
}

/**
 * Whether a task's agent has exited and its last screen still explains something: the task
 * failed, went to review or stalled, and was not retried (a new session), merged or cancelled.
 */
export function exitedAgent(t: TaskView): boolean {
  const last = t.sessions.at(-1);
  return last !== undefined && last.endedAt !== null && ['failed', 'review', 'merging', 'stalled'].includes(t.state);
}

/**
 * Tasks the agents view shows: running ones, reviewed ones whose agent is still up, and exited
 * agents (their last screen, with the exit code) until retried, merged or dismissed. A dismissal
 * is kept by the supervisor with the session, so every cockpit, and the next one, agrees.
 */
export function paneTasks(s: Pick<CockpitState, 'tasks'>): TaskView[] {
  return s.tasks.filter(
    (t) =>
      t.state === 'running' ||
      ((t.state === 'review' || t.state === 'merging') && t.activity !== 'exited' && t.sessions.length > 0 && t.sessions.at(-1)?.endedAt === null) ||
      (exitedAgent(t) && !t.sessions.at(-1)?.dismissed),
  );
}

/** How an exited agent ended, as its pane title and list row say it; null for one still up. */
export function exitedText(t: TaskView): string | null {
  const last = t.sessions.at(-1);
  if (t.state === 'running' || !last || last.endedAt === null) return null;
  const how = last.signal ? `signal ${last.signal}` : last.exitCode === null ? 'no exit code' : `code ${last.exitCode}`;
  return `exited (${how}) · ${t.state}`;
}

/** The rows a view lists, each with its identity, in display order. */
export function listOf(s: CockpitState, view: ViewName): (string | number)[] {
  switch (view) {
    case 'agents':
      return paneTasks(s).map((t) => t.id);
    case 'tasks':
      return s.tasks.map((t) => t.id);
    case 'locks':
      return s.locks.map(lockKey);
    case 'conflicts':
      return conflictRows(s.conflicts).map((r) => r.key);
    case 'merges':
      return s.merges?.queue.map((e) => e.task.id) ?? [];
    case 'context':
      return (s.context?.blockers ?? []).map((b) => b.key);
  }
}

export const lockKey = (l: LockView): string => `${l.resource}|${JSON.stringify(l.owner)}`;
export const conflictKey = (c: ConflictView): string => `${c.kind}|${c.tasks.join(',')}|${c.paths.join(',')}`;

/** One row of the conflicts view: a conflict under one of its paths (`null`: it has none, e.g. a port). */
export interface ConflictRow {
  key: string;
  path: string | null;
  conflict: ConflictView;
  /** The first row of its path's group: the only one that shows the path. */
  first: boolean;
}

/** Conflicts grouped by path, paths in order, pathless ones last: who else touches this file. */
export function conflictRows(conflicts: readonly ConflictView[]): ConflictRow[] {
  const rows = conflicts.flatMap((c) => (c.paths.length ? c.paths : [null]).map((path) => ({ path, conflict: c })));
  rows.sort((a, b) => (a.path === b.path ? 0 : a.path === null ? 1 : b.path === null ? -1 : a.path < b.path ? -1 : 1));
  return rows.map((r, i) => ({ ...r, key: `${r.path ?? ''}|${conflictKey(r.conflict)}`, first: i === 0 || rows[i - 1]!.path !== r.path }));
}

/** The conflict of the selected row of the conflicts view. */
export function selectedConflict(s: CockpitState): ConflictView | null {
  const key = selection(s, 'conflicts');
  return conflictRows(s.conflicts).find((r) => r.key === key)?.conflict ?? null;
}

/** The selected item of a view, kept if it still exists, else the nearest sensible one. */
export function selection(s: CockpitState, view: ViewName = s.view): string | number | null {
  const items = listOf(s, view);
  const current = s.selected[view];
  if (current !== undefined && current !== null && items.includes(current)) return current;
  return items[0] ?? null;
}

export function selectedTask(s: CockpitState): TaskView | null {
  if (!['agents', 'tasks', 'merges'].includes(s.view)) return null;
  const id = selection(s);
  return typeof id === 'number' ? (s.tasks.find((t) => t.id === id) ?? null) : null;
}

/** Moves the selection by `delta` rows (clamped), by identity. */
export function moveSelection(s: CockpitState, delta: number | 'first' | 'last'): CockpitState {
  const items = listOf(s, s.view);
  if (!items.length) return s;
  const current = selection(s);
  const at = current === null ? 0 : Math.max(0, items.indexOf(current));
  const next = delta === 'first' ? 0 : delta === 'last' ? items.length - 1 : Math.max(0, Math.min(items.length - 1, at + delta));
  return { ...s, selected: { ...s.selected, [s.view]: items[next] ?? null } };
}

/** Replaces or adds one task (an event), keeping queue order from the positions. */
export function upsertTask(s: CockpitState, t: TaskView): CockpitState {
  const at = s.tasks.findIndex((x) => x.id === t.id);
  const tasks = at >= 0 ? s.tasks.map((x, i) => (i === at ? t : x)) : [...s.tasks, t];
  return { ...s, tasks: sortTasks(tasks) };
}

export function sortTasks(tasks: TaskView[]): TaskView[] {
  const rank = (t: TaskView) => (t.position === null ? Number.MAX_SAFE_INTEGER : t.position);
  return [...tasks].sort((a, b) => rank(a) - rank(b) || a.id - b.id);
}

export function withStatus(s: CockpitState, status: StatusView): CockpitState {
  return { ...s, connected: true, status, tasks: sortTasks(status.tasks), locks: status.locks, conflicts: status.conflicts };
}

export function flash(s: CockpitState, text: string, tone: Flash['tone'] = 'info', now = Date.now()): CockpitState {
  return { ...s, flash: { text, tone, at: now } };
}
