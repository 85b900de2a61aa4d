import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addWorktree, listWorktrees, removeWorktree } from '../../../src/adapters/git/worktrees.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

describe('the worktree registry', () => {
  it('adds, lists and removes many worktrees at once without one failing on another half-written registration', async () => {
    repo = createTempRepo();
    const r = repo;
    for (let i = 0; i < 200; i++) r.write(`src/f${i}.txt`, `${i}\n`);
    r.commitAll('files');
    const base = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: r.dir, encoding: 'utf8' }).trim();
    const paths = Array.from({ length: 40 }, (_, i) => join(r.root, 'wts', `task-${i + 1}`));
    // All at once, as a dispatch and the scanner's listings would be. Without the queue, two
    // runs of three here had an add fail on another's half-written registration.
    const outcomes = await Promise.allSettled([
      ...paths.map((p, i) => addWorktree(r.dir, p, `muster/${i + 1}`, base, `muster task #${i + 1}`, join(r.dir, '.git'))),
      ...paths.map(() => listWorktrees(r.dir)),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    const listed = new Set((await listWorktrees(r.dir)).map((w) => w.path));
    for (const p of paths) expect(listed.has(p), p).toBe(true);

    const removals = await Promise.allSettled(paths.map((p) => removeWorktree(r.dir, p)));
    expect(removals.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    expect((await listWorktrees(r.dir)).map((w) => w.path)).toEqual([r.dir]);
  });
});
