import type { MusterState } from '../core/state.js';
import { isQueued } from '../core/task-states.js';
import type { Task } from '../core/task.js';
import { orderedTasks } from '../core/task-queue.js';
import type { TaskView } from '../protocol/shapes.js';

/** Positions count from 1 among the tasks still in the queue. */
export function queuePositions(state: MusterState): Map<number, number> {
  const out = new Map<number, number>();
  let n = 0;
  for (const t of orderedTasks(state)) {
    if (isQueued(t.state)) out.set(t.id, ++n);
  }
  return out;
}

// A task is a new object whenever it changes, so its view (immutable too) is built once per
// change and queue position: a status of 500 tasks rebuilt 500 views for every request.
const built = new WeakMap<Task, TaskView>();

export function taskView(task: Task, position: number | null): TaskView {
  const hit = built.get(task);
  if (hit && hit.position === position) return hit;
  const view = buildView(task, position);
  built.set(task, view);
  return view;
}

function buildView(task: Task, position: number | null): TaskView {
  return {
    id: task.id,
    title: task.title,
    promptBytes: task.prompt.bytes,
    promptPreview: task.prompt.preview,
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
    summary: task.summary,
    session: task.conversations.find((c) => c.agent === task.agent)?.id ?? null,
    conversations: task.conversations,
    idleWithWork: task.idleWithWork,
    integration: task.integration,
    host: task.host,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export function taskViews(state: MusterState): TaskView[] {
  const positions = queuePositions(state);
  return orderedTasks(state).map((t) => taskView(t, positions.get(t.id) ?? null));
}
