import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The slowest files, slowest first, as CI measured them (seconds at 3 workers on 2 cores).
 * Without a results cache (a clean clone, as in CI) vitest starts the largest files first, and
 * these are mostly short files that drive long runs: started last, each one ran alone at the
 * end for up to two minutes. A file missing here only loses its head start.
 */
const SLOWEST = [
  'test/integration/coordination/locks.test.ts', // 153
  'test/integration/merge/merge-queue.test.ts', // 146
  'test/integration/faults/merge-kill-after-cas.test.ts', // 137
  'test/integration/agents/claude-code.test.ts', // 124
  'test/integration/daemon/daemon.test.ts', // 120
  'test/integration/faults/proc-orphans.test.ts', // 88
  'test/integration/agents/worktree-registry.test.ts', // 87
  'test/integration/faults/merge-kill-before-cas.test.ts', // 65
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.findIndex((p) => f.moduleId.endsWith(`/${p}`));
      return i < 0 ? SLOWEST.length : i;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    // A backstop only: every wait has its own timeout. A test of several waits needs more than
    // 60 s at CI's load of 15–24 (the four-cockpit quit test did).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests each use their own temp repo, socket and tmux server, and mostly wait
    // on git and child processes: three at a time keep 2 cores busy (vitest would run one).
    fileParallelism: true,
    maxWorkers: 3,
    sequence: { sequencer: SlowestFirst },
  },
});
