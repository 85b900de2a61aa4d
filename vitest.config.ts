import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests each use their own temp repo, socket and tmux server, and mostly wait
    // on git and child processes: three at a time keep 2 cores busy (vitest would run one).
    fileParallelism: true,
    maxWorkers: 3,
  },
});
