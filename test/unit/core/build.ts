import { emptyState, type MusterState } from '../../../src/core/state.js';
import { addTask } from '../../../src/core/task-queue.js';
import type { Risk, TaskId, TaskState } from '../../../src/core/task.js';

export const T0 = '2026-01-01T00:00:00.000Z';

/** A state with tasks added in order; each spec may force a state (test-only shortcut). */
export function stateWith(
  specs: { title?: string; risk?: Risk; after?: TaskId[]; state?: TaskState; writes?: string[]; host?: string | null }[],
  base: MusterState = emptyState(),
): MusterState {
  let s = base;
  for (const [i, spec] of specs.entries()) {
    const r = addTask(
      s,
      { title: spec.title ?? `task ${i + 1}`, agent: 'shell', risk: spec.risk, after: spec.after, writes: spec.writes, host: spec.host },
      T0,
    );
    s = r.state;
    if (spec.state) s = { ...s, tasks: s.tasks.map((t) => (t.id === r.task.id ? { ...t, state: spec.state! } : t)) };
  }
  return s;
}
