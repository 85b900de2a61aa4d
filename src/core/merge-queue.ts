import { ok, refuse, type Result } from './result.js';
import { formatId, type Task, type TaskId } from './task.js';

export const MERGE_STRATEGIES = ['merge', 'rebase', 'squash'] as const;
/** `merge` makes a `--no-ff` merge commit, `rebase` replays the branch then fast-forwards, `squash` makes one commit. */
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

/** One landing: the target moved from `from` to the tested commit `to`; `from` is also kept under `backupRef`. */
export interface MergeRecord {
  task: TaskId;
  target: string;
  strategy: MergeStrategy;
  from: string;
  to: string;
  backupRef: string;
  at: string;
  undone: boolean;
  undoneAt: string | null;
}

/** Every landing, oldest first. */
export type MergeHistory = readonly MergeRecord[];

/**
 * Puts the target back where the last landing found it: `git update-ref <ref> <to> <expectedOld>`,
 * after pointing each `keep` ref at its commit so the undone merge stays reachable.
 */
export interface UndoPlan {
  kind: 'reset';
  task: TaskId;
  target: string;
  ref: string;
  to: string;
  expectedOld: string;
  keep: { ref: string; commit: string }[];
  /** The target is checked out in the main worktree: bring its files back from `expectedOld` to `to` too. */
  syncCheckout: boolean;
}

export interface UndoOptions {
  target: string;
  now: string;
  /** Where the target is checked out: not at all, or in a clean or dirty main worktree. */
  checkout?: 'absent' | 'clean' | 'dirty';
  /** What the target's reflog says moved it last, to name it when the undo is refused. */
  movedBy?: string | null;
  /** The task whose approval is running, if any. */
  inProgress?: TaskId | null;
}

/** `2026-01-01T12:04:05.123Z` → `20260101T120405123Z`: sortable and legal in a ref name. */
export const refStamp = (iso: string): string => iso.replace(/[-:.]/g, '');
/** The full ref of the target branch (`main` → `refs/heads/main`). */
export const targetRef = (target: string): string => (target.startsWith('refs/') ? target : `refs/heads/${target}`);
export const shortSha = (sha: string): string => sha.slice(0, 7);

/** The landing an undo would revert: the newest one on `target` not undone yet. */
export function lastLanding(history: MergeHistory, target: string): { record: MergeRecord; index: number } | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const record = history[i]!;
    if (record.target === target && !record.undone) return { record, index: i };
  }
  return null;
}

/**
 * Undo of the last landing, allowed only while the target is still exactly where that landing
 * left it: anything else moved it since, and resetting would throw that away. Undoing again
 * reverts the landing before it, as a stack.
 */
export function planUndo(history: MergeHistory, currentTip: string, opts: UndoOptions): Result<UndoPlan> {
  const t = opts.target;
  if (opts.inProgress != null) return refuse('conflict', `Merge of ${formatId(opts.inProgress)} into ${t} is in progress; undo when it has landed or stopped.`);
  const last = lastLanding(history, t);
  if (!last) return refuse('invalid-state', `Nothing to undo: muster has no landing on ${t} that is not undone already.`);
  const { record } = last;
  const what = `the merge of ${formatId(record.task)} into ${t}`;
  if (currentTip !== record.to) {
    const by = opts.movedBy ? ` (last move: ${opts.movedBy})` : '';
    const where =
      currentTip === record.from
        ? `${t} is already back at ${shortSha(currentTip)}, its tip before that merge, moved there outside muster${by}`
        : `${t} moved since it landed: it is at ${shortSha(currentTip)}, not ${shortSha(record.to)}${by}`;
    return refuse('conflict', `Cannot undo ${what}: ${where}. Revert the merge with a new commit instead.`);
  }
  if (opts.checkout === 'dirty') {
    return refuse(
      'conflict',
      `Cannot undo ${what}: the main worktree, where ${t} is checked out, has uncommitted changes. Commit or stash them, then undo again.`,
    );
  }
  const keep = [{ ref: `refs/muster/undone/${t}/${refStamp(opts.now)}-task-${record.task}`, commit: record.to }];
  return ok({
    kind: 'reset',
    task: record.task,
    target: t,
    ref: targetRef(t),
    to: record.from,
    expectedOld: record.to,
    keep,
    syncCheckout: opts.checkout === 'clean',
  });
}

/** Marks the landing an executed undo reverted. */
export function recordUndo(history: MergeHistory, plan: UndoPlan, now: string): MergeRecord[] {
  const last = lastLanding(history, plan.target);
  return history.map((r, i) => (last && i === last.index && r.to === plan.expectedOld ? { ...r, undone: true, undoneAt: now } : r));
}

/** The merge queue: tasks in review, in the queue's order; any the order misses follow by id. */
export function mergeQueueOrder(tasks: readonly Pick<Task, 'id' | 'state'>[], explicitOrder: readonly TaskId[]): TaskId[] {
  const inReview = new Set(tasks.filter((t) => t.state === 'review').map((t) => t.id));
  const ordered = [...new Set(explicitOrder)].filter((id) => inReview.has(id));
  const rest = [...inReview].filter((id) => !ordered.includes(id)).sort((a, b) => a - b);
  return [...ordered, ...rest];
}

function position(queue: readonly TaskId[], id: TaskId): Result<number> {
  const at = queue.indexOf(id);
  return at < 0 ? refuse('invalid-state', `${formatId(id)} is not in the merge queue; only tasks in review are.`) : ok(at);
}

/** Skip: the task goes to the back of the merge queue, so the next one comes up. */
export function skipMerge(queue: readonly TaskId[], id: TaskId): Result<TaskId[]> {
  const at = position(queue, id);
  return at.ok ? ok([...queue.filter((x) => x !== id), id]) : at;
}

/** Moves a task one place up or down the merge queue; at either end it stays put. */
export function moveMerge(queue: readonly TaskId[], id: TaskId, direction: 'up' | 'down'): Result<TaskId[]> {
  const at = position(queue, id);
  if (!at.ok) return at;
  const to = Math.max(0, Math.min(queue.length - 1, at.value + (direction === 'up' ? -1 : 1)));
  const next = queue.filter((x) => x !== id);
  next.splice(to, 0, id);
  return ok(next);
}

/**
 * Writes a reordered merge queue back into the task queue's order: the queue's tasks take the
 * places they held, in their new sequence, so every other task keeps its place.
 */
export function withMergeOrder(order: readonly TaskId[], queue: readonly TaskId[]): TaskId[] {
  const members = new Set(queue);
  const sequence = [...queue];
  const placed = order.map((id) => (members.has(id) ? (sequence.shift() ?? id) : id));
  return [...placed, ...sequence];
}
