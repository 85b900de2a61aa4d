import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_AGENT } from '../test/helpers/agent-repo.js';
import { bigRepoPath, createBigRepo } from './lib/big-repo.js';
import { withCleanup } from './lib/cleanup.js';
import { timeCommand } from './lib/time-command.js';
import type { Bench, Figure } from './lib/figure.js';
import { addTask, BIN, benchRepo, git, listTasks, profiling, startSupervisor, waitRunning } from './lib/muster.js';
import { median, monoUs, nowMs, sleep, until } from './lib/stats.js';

/** What task `i` of `n` does: its own files, some shared files, a commit for some; then it stays. */
function promptOf(i: number): string {
  const lines = [`@write ${bigRepoPath(i * 100 + 1)} edited by task ${i}`, `@write bench/task-${i}/notes.md new file of task ${i}`];
  // Odd tasks change the same file differently: overlaps whose merge conflicts.
  if (i % 2 === 1) lines.push(`@write ${bigRepoPath(0)} version of task ${i}`);
  // Every third task makes the same change to another file: overlaps that merge cleanly.
  if (i % 3 === 0) lines.push(`@write ${bigRepoPath(1)} the same change`);
  if (i % 2 === 0) lines.push(`@commit work of task ${i}`, `@write ${bigRepoPath(i * 100 + 2)} uncommitted after the commit`);
  lines.push(`@write bench/task-${i}/done.txt done`, '@stay');
  return lines.join('\n');
}

/**
 * The naive scan: snapshot every worktree (a commit through a private copy of its index, into
 * scratch objects), then `git merge-tree --write-tree` on every pair and each against main.
 */
function naiveScan(repoDir: string, worktrees: string[], scratch: string): { ms: number; merges: number; conflicted: number } {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(scratch, 'objects', 'info'), { recursive: true });
  const env = {
    ...process.env,
    GIT_OBJECT_DIRECTORY: join(scratch, 'objects'),
    GIT_ALTERNATE_OBJECT_DIRECTORIES: join(repoDir, '.git', 'objects'),
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@b',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@b',
  };
  const t = nowMs();
  const snaps = worktrees.map((wt, i) => {
    const index = join(scratch, `index-${i}`);
    copyFileSync(
      git(wt, ['rev-parse', '--git-path', 'index'])
        .trim()
        .replace(/^(?!\/)/, `${wt}/`),
      index,
    );
    const e = { ...env, GIT_INDEX_FILE: index };
    git(wt, ['add', '-A', '--', '.'], e);
    const tree = git(wt, ['write-tree'], e).trim();
    return git(wt, ['commit-tree', tree, '-p', 'HEAD', '-m', 'snapshot'], e).trim();
  });
  const main = git(repoDir, ['rev-parse', 'main']).trim();
  let merges = 0;
  let conflicted = 0;
  const mergeTree = (a: string, b: string) => {
    merges++;
    try {
      git(repoDir, ['merge-tree', '--write-tree', '--name-only', '-z', a, b], env);
    } catch (e) {
      if ((e as { status?: number }).status !== 1) throw e;
      conflicted++;
    }
  };
  for (let a = 0; a < snaps.length; a++) {
    for (let b = a + 1; b < snaps.length; b++) mergeTree(snaps[a]!, snaps[b]!);
    mergeTree(snaps[a]!, main);
  }
  return { ms: nowMs() - t, merges, conflicted };
}

export const conflicts: Bench = {
  name: 'conflicts',
  method: [
    'A generated repository of 10,000 files (quick: 1,000) and 10 running tasks (quick: 3), each a fake agent that edits a file of its own, adds new files, and — depending on the task — changes a file shared with others differently (merge conflicts), makes the same change as others to another shared file (clean overlaps), commits and then edits more; then it stays alive.',
    '`muster conflicts --json` (a fresh scan, through the CLI) is timed once right after every agent has written (first) and then 5 times more (quick: 2; steady state, median). Baseline: a naive scan with no overlap pre-filter and no cache — a snapshot commit of every worktree through a private copy of its index into scratch objects, then `git merge-tree --write-tree` on every pair of snapshots and each against main (2 runs; quick: 1; median).',
  ].join('\n\n'),
  async run({ quick, log }) {
    const files = quick ? 1_000 : 10_000;
    const tasks = quick ? 3 : 10;
    const steady = quick ? 2 : 5;
    return withCleanup(async (cleanup) => {
      const big = createBigRepo(files);
      const repo = benchRepo(cleanup, {
        repo: big,
        agents: { fake: { command: process.execPath, args: [FAKE_AGENT, '{prompt_file}'] } },
        defaultAgent: 'fake',
        maxWorkers: tasks + 2,
      });
      await startSupervisor(repo.dir, 'conflicts-supervisor');
      const ids: number[] = [];
      for (let i = 1; i <= tasks; i++) ids.push((await addTask(repo.dir, `task ${i}`, { prompt: promptOf(i) })).id);
      await waitRunning(repo.dir, ids, 120_000);
      const list = (await listTasks(repo.dir)).filter((t) => ids.includes(t.id));
      const worktrees = list.map((t) => t.worktree!);
      await until(
        () => list.every((t, k) => existsSync(join(t.worktree!, 'bench', `task-${k + 1}`, 'done.txt'))),
        'every agent to write its files',
        60_000,
        50,
      );

      const from = monoUs();
      const first = await timeCommand(process.execPath, [BIN, 'conflicts', '--json'], repo.dir);
      if (profiling.dir) log(`first scan: --from ${from} --to ${monoUs()}`);
      const found = JSON.parse(first.stdout) as { kind: string }[];
      const kinds = Object.entries(found.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.kind]: (acc[c.kind] ?? 0) + 1 }), {}))
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      const again: number[] = [];
      for (let i = 0; i < steady; i++) {
        await sleep(200);
        again.push((await timeCommand(process.execPath, [BIN, 'conflicts', '--json'], repo.dir)).ms);
      }
      const scratch = join(big.root, 'naive-scan');
      const naive = [];
      for (let i = 0; i < (quick ? 1 : 2); i++) naive.push(naiveScan(repo.dir, worktrees, scratch));
      const naiveMs = median(naive.map((r) => r.ms));
      log(`first ${first.ms.toFixed(0)} ms, steady ${median(again).toFixed(0)} ms, naive ${naiveMs.toFixed(0)} ms (${naive[0]!.merges} merge-trees)`);
      const detail = `${tasks} tasks on ${files} files; muster found ${kinds || 'nothing'}; first ${first.ms.toFixed(0)} ms, then ${again.map((x) => x.toFixed(0)).join(', ')} ms (CLI start included); naive: ${naive.length} runs of ${tasks} snapshots + ${naive[0]!.merges} merge-trees (${naive[0]!.conflicted} conflicted): ${naive.map((r) => r.ms.toFixed(0)).join(', ')} ms.`;
      const figures: Figure[] = [
        {
          bench: 'conflicts',
          name: `conflict scan, first (${tasks} tasks, ${files} files)`,
          unit: 'ms',
          muster: first.ms,
          baseline: naiveMs,
          baselineLabel: 'naive merge-tree of all pairs',
          target: { kind: 'below', value: 2000 },
          detail,
        },
        {
          bench: 'conflicts',
          name: `conflict scan, steady state (${tasks} tasks)`,
          unit: 'ms',
          muster: median(again),
          baseline: naiveMs,
          baselineLabel: 'naive merge-tree of all pairs',
          target: { kind: 'below', value: 2000 },
        },
      ];
      return figures;
    });
  },
};
