import type { TaskState } from './task.js';

/*
 * The named groups of task states, in one place: which states a command accepts and which a
 * view or a scan looks at. Code outside the core asks these instead of listing states.
 */

/** Still in the queue: it has a position and can be reordered (`task move`). */
export function isQueued(state: TaskState): boolean {
  return state === 'backlog' || state === 'ready' || state === 'running' || state === 'review' || state === 'stalled' || state === 'failed';
}

/** On the target or being put there: only `merge undo` takes it back. */
export function isLanding(state: TaskState): boolean {
  return state === 'merged' || state === 'merging';
}

/** Nothing further happens without the operator: landed or given up. */
export function isFinal(state: TaskState): boolean {
  return state === 'merged' || state === 'cancelled';
}

/** Its agent's work can be declared finished (`task done`). */
export function canBeMarkedDone(state: TaskState): boolean {
  return state === 'running' || state === 'stalled' || state === 'failed';
}

/** It can be started again (`task retry`). */
export function canBeRetried(state: TaskState): boolean {
  return state === 'failed' || state === 'stalled' || state === 'cancelled';
}

/** It can be given another agent (`task assign`): anything that has not landed or been cancelled. */
export function canBeReassigned(state: TaskState): boolean {
  return !isLanding(state) && state !== 'cancelled';
}

/** Its terminal shows an agent whose activity is judged (working, waiting for input, idle). */
export function showsAgentActivity(state: TaskState): boolean {
  return state === 'running' || state === 'review';
}

/** Its worktree's changes count for the conflict scan. */
export function isScannedForConflicts(state: TaskState): boolean {
  return state === 'running' || state === 'review' || state === 'stalled' || state === 'failed' || state === 'ready';
}

/** Its worktree can be removed by `gc` (with `--force`, also one that failed or stalled, after archiving). */
export function isCollectable(state: TaskState, force: boolean): boolean {
  return isFinal(state) || (force && (state === 'failed' || state === 'stalled'));
}
