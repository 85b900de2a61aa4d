import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The slowest files, slowest first, as CI measured them (seconds at 3 workers on 2 cores).
 * Without a results cache (a clean clone, as in CI) vitest starts the largest files first, and
 * these are mostly short files that drive long runs: started last, each one ran alone at the
 * end for up to two minutes. A file missing here only loses its head start.
 */
const SLOWEST = [
  'test/integration/merge/merge-queue.test.ts', // 169
  'test/integration/agents/claude-code.test.ts', // 134
  'test/integration/faults/merge-kill-after-cas.test.ts', // 126
  'test/integration/daemon/daemon.test.ts', // 118
  'test/integration/faults/landing.test.ts', // 96
  'test/integration/faults/merge-kill-before-cas.test.ts', // 95
  'test/integration/faults/proc-orphans.test.ts', // 90
  'test/e2e/attach-modes.e2e.test.ts', // 68
  'test/integration/agents/worktree-registry.test.ts', // 68
  'test/integration/agents/agent-argv.test.ts', // 64
  'test/integration/store/prompt-files.test.ts', // 63
  'test/integration/coordination/locks.test.ts', // 60
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
    // Not more: nine integration files together took 0.7 CPU-seconds (their supervisors,
    // agents, CLIs and git included) per second of CI's test time, so three workers already
    // ask for 2 cores; a fourth only stretches every wait of the others.
    fileParallelism: true,
    maxWorkers: 3,
    sequence: { sequencer: SlowestFirst },
  },
});
