/**
 * What one journal record changes in the state. States are immutable, so a changed field or
 * task is a new object: comparing references finds the change without walking the data.
 */
export interface StateDelta {
  /** Top-level fields (other than `tasks`) replaced whole. */
  set?: Record<string, unknown>;
  /** Top-level fields that went away. */
  unset?: string[];
  /** Tasks added or replaced, matched by `id`; a new id goes to the end. */
  tasks?: { id: number }[];
  /** Every task id in order, present only when a task went away or the order changed otherwise. */
  taskIds?: number[];
}

type Plain = Record<string, unknown>;
type TaskLike = { id: number };

function sameIds(a: readonly TaskLike[], b: readonly TaskLike[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.id !== b[i]!.id) return false;
  return true;
}

/** The change from `before` to `after`, or null when they are the same state. */
export function diffState(before: object, after: object): StateDelta | null {
  if (before === after) return null;
  const b = before as Plain;
  const a = after as Plain;
  const delta: StateDelta = {};
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (b[key] === a[key] || key === 'tasks') continue;
    if (a[key] === undefined) (delta.unset ??= []).push(key);
    else (delta.set ??= {})[key] = a[key];
  }
  const bt = (b.tasks ?? []) as TaskLike[];
  const at = (a.tasks ?? []) as TaskLike[];
  if (bt !== at) {
    const old = new Set(bt);
    const changed = at.filter((t) => !old.has(t));
    if (changed.length) delta.tasks = changed;
    // Replacing in place and appending new ids keep the order; anything else names it.
    const known = new Set(bt.map((t) => t.id));
    const appended = at.filter((t) => !known.has(t.id));
    if (!sameIds(bt, at.slice(0, at.length - appended.length)) || appended.some((t, i) => at[at.length - appended.length + i] !== t)) {
      delta.taskIds = at.map((t) => t.id);
    }
  }
  return delta.set || delta.unset || delta.tasks || delta.taskIds ? delta : null;
}

/** Why a delta cannot apply to a state: the journal and the snapshot disagree. */
export class DeltaMismatchError extends Error {}

/** The state `delta` makes of `state` (plain JSON data, as read from disk). */
export function applyDelta(state: Plain, delta: StateDelta): Plain {
  const next: Plain = { ...state, ...delta.set };
  for (const key of delta.unset ?? []) delete next[key];
  if (!delta.tasks && !delta.taskIds) return next;
  const tasks = Array.isArray(state.tasks) ? (state.tasks as TaskLike[]) : [];
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const order = tasks.map((t) => t.id);
  for (const t of delta.tasks ?? []) {
    if (!byId.has(t.id)) order.push(t.id);
    byId.set(t.id, t);
  }
  const ids = delta.taskIds ?? order;
  next.tasks = ids.map((id) => {
    const t = byId.get(id);
    if (!t) throw new DeltaMismatchError(`it names task ${id}, which the state before it does not have`);
    return t;
  });
  return next;
}
