import type { TaskId } from './task.js';

/**
 * Returns one cycle (as a path of ids that starts and ends at the same id) in the graph
 * `id -> ids it waits for`, or null when there is none.
 */
export function findCycle(edges: ReadonlyMap<TaskId, readonly TaskId[]>): TaskId[] | null {
  const state = new Map<TaskId, 'visiting' | 'done'>();
  const stack: TaskId[] = [];
  const visit = (id: TaskId): TaskId[] | null => {
    const s = state.get(id);
    if (s === 'done') return null;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return null;
}
