import type { CommandId } from '../../src/keymap/index.js';
import type { BlockerView, ConflictView, LockView, StatusView, TaskView } from '../../src/protocol/shapes.js';
import type { ResultOf } from '../../src/protocol/methods.js';

export type ViewName = 'agents' | 'tasks' | 'locks' | 'conflicts' | 'merges' | 'context';
export const VIEWS: readonly ViewName[] = ['agents', 'tasks', 'locks', 'conflicts', 'merges', 'context'];

export type MergeList = ResultOf<'merge.list'>;

/** A text field of a form. */
export interface FormField {
  name: string;
  label: string;
  value: string;
  hint?: string;
}

export type FormKind = 'new-task' | 'reassign' | 'reject';

export interface FormState {
  kind: FormKind;
  title: string;
  task: number | null;
  fields: FormField[];
  focus: number;
  error: string | null;
}

/** What covers the current view and takes the keyboard. */
export type Overlay =
  | { kind: 'help'; scroll: number }
  | { kind: 'confirm'; message: string; command: CommandId; task: number | null }
  | { kind: 'quit' }
  | { kind: 'form'; form: FormState }
  | { kind: 'diff'; task: number; lines: string[]; scroll: number };

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

/** Tasks whose live terminal the agents view shows: running ones, and reviewed ones whose agent is still up. */
export function paneTasks(s: Pick<CockpitState, 'tasks'>): TaskView[] {
  return s.tasks.filter((t) => t.state === 'running' || ((t.state === 'review' || t.state === 'merging') && t.activity !== 'exited' && t.sessions.length > 0 && t.sessions.at(-1)?.endedAt === null));
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
      return s.conflicts.map(conflictKey);
    case 'merges':
      return s.merges?.queue.map((e) => e.task.id) ?? [];
    case 'context':
      return (s.context?.blockers ?? []).map((b) => b.key);
  }
}

export const lockKey = (l: LockView): string => `${l.resource}|${JSON.stringify(l.owner)}`;
export const conflictKey = (c: ConflictView): string => `${c.kind}|${c.tasks.join(',')}|${c.paths.join(',')}`;

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
