import type { MusterState } from '../core/state.js';
import type { Task } from '../core/task.js';
import { orderedTasks } from '../core/task-queue.js';
import type { TaskView } from '../protocol/shapes.js';

/** Positions count from 1 among the tasks still in the queue. */
export function queuePositions(state: MusterState): Map<number, number> {
  const out = new Map<number, number>();
  let n = 0;
  for (const t of orderedTasks(state)) {
    if (['backlog', 'ready', 'running', 'review', 'stalled', 'failed'].includes(t.state)) out.set(t.id, ++n);
  }
  return out;
}

export function taskView(task: Task, position: number | null): TaskView {
  return {
    id: task.id,
    title: task.title,
    prompt: task.prompt,
    state: task.state,
    agent: task.agent,
    risk: task.risk,
    writes: task.writes,
    reads: task.reads,
    after: task.after,
    branch: task.branch,
    worktree: task.worktree,
    base: task.base,
    ports: task.ports,
    activity: task.activity.status,
    activitySince: task.activity.since,
    activitySource: task.activity.source,
    reason: task.reason,
    position,
    sessions: task.sessions,
    feedback: task.feedback,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export function taskViews(state: MusterState): TaskView[] {
  const positions = queuePositions(state);
  return orderedTasks(state).map((t) => taskView(t, positions.get(t.id) ?? null));
}
