import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archiveTaskWork } from '../../../src/adapters/git/snapshot.js';
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

    // Removal takes the proof that a worktree's work is archived; archiving is not what is tested here.
    const kept = [];
    for (const [i, p] of paths.entries()) {
      const archive = await archiveTaskWork(r.dir, i + 1, { worktree: p, branch: `muster/${i + 1}` }, 'test', { exclude: [] });
      if (!archive.ok) throw new Error(archive.reason);
      kept.push(archive.kept);
    }
    const removals = await Promise.allSettled(kept.map((k) => removeWorktree(r.dir, k)));
    expect(removals.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    expect((await listWorktrees(r.dir)).map((w) => w.path)).toEqual([r.dir]);
    // 40 adds, 40 snapshots and 40 removals: about 40 s in CI, and it grows with the machine's load.
  }, 180_000);
});
