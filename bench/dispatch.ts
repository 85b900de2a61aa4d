import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../src/client/connect.js';
import { testEnv } from '../test/helpers/cli.js';
import { createBigRepo } from './lib/big-repo.js';
import { withCleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { BIN, benchRepo, profiling, startSupervisor } from './lib/muster.js';
import { median, monoUs, nowMs, sleep } from './lib/stats.js';

/** Resolves with the time `file` appears (inotify, with a 2 ms poll as a safety net). */
function appears(file: string, t0: number, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const dir = join(file, '..');
    const done = () => {
      clearInterval(poll);
      watcher.close();
      clearTimeout(timer);
    };
    const check = () => {
      if (existsSync(file)) {
        done();
        resolve(nowMs() - t0);
      }
    };
    const watcher = watch(dir, check);
    const poll = setInterval(check, 2);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${file} did not appear within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    check();
  });
}

/** Runs a command to its end; rejects on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: testEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

export const dispatch: Bench = {
  name: 'dispatch',
  method: [
    "A generated repository of 10,000 small files (quick: 1,000) in one commit; no setup commands. Each muster dispatch is timed from the request until the agent process has started: the agent preset is `sh -c 'touch started-$MUSTER_TASK_ID; exec sleep …'` and the marker file is seen through inotify. Two ways in: the CLI (`node bin/muster.js task add …`, so the CLI's own start is included) and an in-process socket client (`task.add` via src/client/connect.ts: the supervisor's dispatch alone — worktree, port slot, PROMPT.md, spawn).",
    'Baseline: `git worktree add -b <branch> <dir> main` of the same repository. Runs alternate git, CLI, socket (4 each; quick: 2) after one unmeasured warm-up of each; medians are compared. Each muster task is cancelled once its agent has started (and given a second to settle), so every dispatch meets a supervisor with nothing else running: the watching and scanning of running worktrees is a cost of its own, not of dispatch.',
  ].join('\n\n'),
  async run({ quick, log }) {
    const files = quick ? 1_000 : 10_000;
    const runs = quick ? 2 : 4;
    return withCleanup(async (cleanup) => {
      const t0 = Date.now();
      const big = createBigRepo(files);
      const markers = join(big.root, 'started');
      mkdirSync(markers);
      const repo = benchRepo(cleanup, {
        repo: big,
        agents: { touch: { command: 'sh', args: ['-c', 'touch "$0/started-$MUSTER_TASK_ID"; exec sleep 1000000', markers] } },
        defaultAgent: 'touch',
        maxWorkers: 2 * runs + 4,
      });
      log(`${files}-file repository in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await startSupervisor(repo.dir, 'dispatch-supervisor');
      const { client } = await connect({ cwd: repo.dir });
      cleanup.defer('close the socket client', () => client.close());
      const gitDir = join(big.root, 'git-worktrees');
      mkdirSync(gitDir);
      let n = 0;
      const viaGit = async () => {
        n++;
        const t = nowMs();
        await run('git', ['worktree', 'add', '-q', '-b', `bench-${n}`, join(gitDir, `wt-${n}`), 'main'], repo.dir);
        return nowMs() - t;
      };
      // Each measured task is cancelled once started, so every dispatch meets an idle
      // supervisor: a running task's worktree is watched and scanned, which is its own cost.
      const settle = async (id: number) => {
        await client.call('task.cancel', { id });
        await sleep(quick ? 300 : 1000);
      };
      const viaCli = async () => {
        const id = ++lastId;
        const t = nowMs();
        const cli = run(process.execPath, [BIN, 'task', 'add', `cli ${id}`, '--prompt', 'start'], repo.dir);
        const started = await appears(join(markers, `started-${id}`), t);
        await cli;
        await settle(id);
        return started;
      };
      const viaSocket = async () => {
        const id = ++lastId;
        const from = monoUs();
        const t = nowMs();
        const task = client.call('task.add', { title: `socket ${id}`, prompt: 'start' });
        const started = await appears(join(markers, `started-${id}`), t);
        if (profiling.dir) log(`socket dispatch #${id}: --from ${from} --to ${monoUs()}`);
        await task;
        await settle(id);
        return started;
      };
      // Task ids are sequential from 1.
      let lastId = 0;
      await viaGit();
      await viaCli();
      await viaSocket();
      const g: number[] = [];
      const c: number[] = [];
      const s: number[] = [];
      for (let i = 0; i < runs; i++) {
        g.push(await viaGit());
        c.push(await viaCli());
        s.push(await viaSocket());
      }
      log(`git worktree add ${median(g).toFixed(0)} ms, CLI dispatch ${median(c).toFixed(0)} ms, socket dispatch ${median(s).toFixed(0)} ms`);
      const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      const detail = `${files} files, medians of ${runs}: git worktree add ${list(g)} ms; CLI ${list(c)} ms; socket ${list(s)} ms.`;
      const figures: Figure[] = [
        // The spec's figure is the dispatch itself (worktree, port slot, spawn): the socket
        // request. Through the CLI a node process starts first, which git does not pay.
        {
          bench: 'dispatch',
          name: `dispatch, socket task.add → agent started (${files} files)`,
          unit: 'ms',
          muster: median(s),
          baseline: median(g),
          baselineLabel: 'git worktree add',
          target: { kind: 'ratio-at-most', value: 1.2 },
          detail,
        },
        {
          bench: 'dispatch',
          name: `dispatch, CLI task add → agent started (${files} files)`,
          unit: 'ms',
          muster: median(c),
          baseline: median(g),
          baselineLabel: 'git worktree add',
          target: { kind: 'none' },
        },
      ];
      return figures;
    });
  },
};
