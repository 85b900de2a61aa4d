import { describe, expect, it } from 'vitest';
import { lastLanding, mergeQueueOrder, moveMerge, planUndo, recordUndo, skipMerge, withMergeOrder, type MergeRecord } from '../../../src/core/merge-queue.js';
import type { TaskState } from '../../../src/core/task.js';

const T0 = '2026-01-01T12:04:05.123Z';

function landed(task: number, from: string, to: string, patch: Partial<MergeRecord> = {}): MergeRecord {
  return {
    task,
    target: 'main',
    strategy: 'merge',
    from,
    to,
    backupRef: `refs/muster/backup/main/x-task-${task}-1`,
    at: T0,
    undone: false,
    undoneAt: null,
    ...patch,
  };
}

const message = (r: { ok: boolean; error?: { message: string } }): string | null => (r.ok ? null : r.error!.message);

describe('planUndo', () => {
  const history = [landed(3, 'aaaaaaa1', 'bbbbbbb2'), landed(4, 'bbbbbbb2', 'ccccccc3')];

  it('puts the target back to the last landing’s previous tip and keeps the undone commit', () => {
    const r = planUndo(history, 'ccccccc3', { target: 'main', now: T0, checkout: 'clean' });
    expect(r).toEqual({
      ok: true,
      value: {
        kind: 'reset',
        task: 4,
        target: 'main',
        ref: 'refs/heads/main',
        to: 'bbbbbbb2',
        expectedOld: 'ccccccc3',
        keep: [{ ref: 'refs/muster/undone/main/20260101T120405123Z-task-4', commit: 'ccccccc3' }],
        syncCheckout: true,
      },
    });
  });

  it('refuses when something else moved the target, naming it', () => {
    expect(message(planUndo(history, 'ddddddd4', { target: 'main', now: T0, movedBy: 'commit: hotfix' }))).toBe(
      'Cannot undo the merge of #4 into main: main moved since it landed: it is at ddddddd, not ccccccc (last move: commit: hotfix). Revert the merge with a new commit instead.',
    );
    expect(message(planUndo(history, 'bbbbbbb2', { target: 'main', now: T0 }))).toBe(
      'Cannot undo the merge of #4 into main: main is already back at bbbbbbb, its tip before that merge, moved there outside muster. Revert the merge with a new commit instead.',
    );
  });

  it('undoes landings as a stack', () => {
    const first = planUndo(history, 'ccccccc3', { target: 'main', now: T0 });
    if (!first.ok) throw new Error(first.error.message);
    const after = recordUndo(history, first.value, T0);
    expect(after[1]).toMatchObject({ undone: true, undoneAt: T0 });
    expect(lastLanding(after, 'main')?.record.task).toBe(3);
    const second = planUndo(after, 'bbbbbbb2', { target: 'main', now: T0 });
    expect(second.ok && second.value.to).toBe('aaaaaaa1');
  });

  it('refuses with nothing to undo, during a landing, or over a dirty checkout', () => {
    expect(message(planUndo([], 'x', { target: 'main', now: T0 }))).toBe('Nothing to undo: muster has no landing on main that is not undone already.');
    expect(message(planUndo(history, 'ccccccc3', { target: 'main', now: T0, inProgress: 5 }))).toBe(
      'Merge of #5 into main is in progress; undo when it has landed or stopped.',
    );
    expect(message(planUndo(history, 'ccccccc3', { target: 'main', now: T0, checkout: 'dirty' }))).toContain(
      'has uncommitted changes. Commit or stash them, then undo again.',
    );
  });

  it('looks only at landings on the given target', () => {
    expect(planUndo([landed(7, 'a', 'b', { target: 'release' })], 'b', { target: 'main', now: T0 }).ok).toBe(false);
  });
});

describe('the merge queue order', () => {
  const tasks: { id: number; state: TaskState }[] = [
    { id: 1, state: 'review' },
    { id: 2, state: 'running' },
    { id: 3, state: 'review' },
    { id: 4, state: 'review' },
    { id: 5, state: 'merged' },
  ];

  it('lists tasks in review in queue order, then any the order misses by id', () => {
    expect(mergeQueueOrder(tasks, [3, 2, 1, 5])).toEqual([3, 1, 4]);
  });

  it('skips a task to the back and moves one up or down, staying put at the ends', () => {
    expect(skipMerge([3, 1, 4], 3)).toEqual({ ok: true, value: [1, 4, 3] });
    expect(moveMerge([3, 1, 4], 4, 'up')).toEqual({ ok: true, value: [3, 4, 1] });
    expect(moveMerge([3, 1, 4], 3, 'up')).toEqual({ ok: true, value: [3, 1, 4] });
    expect(message(moveMerge([3, 1, 4], 2, 'down'))).toBe('#2 is not in the merge queue; only tasks in review are.');
  });

  it('writes the new merge order back into the slots its tasks held in the task queue', () => {
    expect(withMergeOrder([3, 2, 1, 5, 4], [1, 4, 3])).toEqual([1, 2, 4, 5, 3]);
  });
});
