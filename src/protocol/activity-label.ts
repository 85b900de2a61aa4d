import { activityLabel as activityText } from '../core/activity.js';
import type { TaskView } from './shapes.js';

/**
 * A task's activity as people read it in lists: only a running task has one, and a running
 * task whose agent has not been spawned yet (worktree, setup commands) is `starting`, not
 * `exited` or `unknown`. A status guessed from the screen carries a `?`.
 */
export function activityLabel(
  t: Pick<TaskView, 'state' | 'activity' | 'activitySource' | 'activitySince' | 'sessions'>,
  opts: { since?: boolean } = {},
): string {
  if (t.state !== 'running') return '';
  const session = t.sessions.at(-1);
  if (session && session.pid === null && session.endedAt === null) return 'starting';
  return activityText(t, opts);
}
