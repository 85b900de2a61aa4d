import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../src/adapters/store/migrations.js';

const session = (pid: number | null) => ({ n: 1, agent: 'fake', pid, pidStart: null, startedAt: 't', endedAt: null, exitCode: null, signal: null });

describe('the version 3 migration (setup progress)', () => {
  it('counts setup as complete only for a task whose agent started in its worktree', () => {
    const v2 = {
      version: 2,
      tasks: [
        { id: 1, worktree: '/w/task-1', sessions: [session(123)] },
        { id: 2, worktree: '/w/task-2', sessions: [session(null)] },
        { id: 3, worktree: null, sessions: [session(99)] },
        { id: 4, worktree: null, sessions: [] },
      ],
    };
    // This step writes no file: the directory is never touched.
    const out = migrate(v2, 3, MIGRATIONS, { dir: '/nonexistent/muster-test' });
    if (out.kind !== 'migrated') throw new Error(`not migrated: ${out.kind}`);
    const tasks = out.data.tasks as { id: number; setup: unknown }[];
    expect(tasks.map((t) => [t.id, t.setup])).toEqual([
      [1, { done: [], complete: true }],
      [2, { done: [], complete: false }],
      [3, { done: [], complete: false }],
      [4, { done: [], complete: false }],
    ]);
  });
});
