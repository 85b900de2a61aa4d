import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installGuard } from '../../../src/adapters/git/commit-guard.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos) r.cleanup();
  repos = [];
});

describe('installing the commit guard', () => {
  it('gives every one of many worktrees dispatched at once its hooks path, though they share one .git/config', async () => {
    // Several repositories, so this process has never set extensions.worktreeConfig in any.
    for (let round = 0; round < 3; round++) {
      const repo = createTempRepo();
      repos.push(repo);
      const hooks = join(repo.root, 'hooks');
      mkdirSync(hooks);
      const trees = Array.from({ length: 8 }, (_, i) => join(repo.root, `wt-${i}`));
      for (const [i, t] of trees.entries()) repo.git('worktree', 'add', '-q', '-b', `b${i}`, t);
      // Meanwhile another git (the operator's, an editor's) keeps writing the shared config.
      const busy = spawn('sh', ['-c', 'while :; do git config muster-test.busy "$(date +%N)" 2>/dev/null; done'], { cwd: repo.dir, stdio: 'ignore' });
      let results: PromiseSettledResult<void>[];
      try {
        results = await Promise.allSettled(trees.map((t) => installGuard(repo.dir, t, hooks)));
      } finally {
        busy.kill('SIGKILL');
      }
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      expect(failed).toEqual([]);
      expect(repo.git('config', '--bool', 'extensions.worktreeConfig').trim()).toBe('true');
      for (const t of trees) {
        expect(execFileSync('git', ['config', '--worktree', 'core.hooksPath'], { cwd: t, encoding: 'utf8' }).trim()).toBe(hooks);
      }
      // The main worktree's hooks are untouched.
      expect(() => repo.git('config', '--worktree', 'core.hooksPath')).toThrow();
    }
  });
});
