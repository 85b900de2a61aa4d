import { existsSync, mkdirSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../src/client/connect.js';
import { FAKE_AGENT } from '../test/helpers/agent-repo.js';
import { bigRepoPath, createBigRepo } from './lib/big-repo.js';
import { withCleanup } from './lib/cleanup.js';
import { timeCommand } from './lib/time-command.js';
import type { Bench, Figure } from './lib/figure.js';
import { BIN, benchRepo, git, listTasks, profiling, startSupervisor, waitRunning } from './lib/muster.js';
import { CpuMeter, rssKb } from './lib/proc.js';
import { openCockpit } from './lib/rigs.js';
import { median, monoUs, nowMs, percentile, sleep, until } from './lib/stats.js';
import type { ControlClient } from './lib/tmux.js';
import { presses } from './latency.js';

/**
 * What task `i` does: edits a file of its own and adds one; odd tasks change one shared file
 * differently (conflicts), every third makes the same change to another (clean overlaps), even
 * ones commit and edit more. Then it waits for `gate` and streams `rate` lines a second, until
 * `stop-<i>` appears in `stopDir`: then it exits 0, as an agent that finished.
 */
function promptOf(i: number, gate: string, rate: number, stopDir: string): string {
  const lines = [`@write ${bigRepoPath(i * 100 + 1)} edited by task ${i}`, `@write bench/task-${i}/notes.md new file of task ${i}`];
  if (i % 2 === 1) lines.push(`@write ${bigRepoPath(0)} version of task ${i}`);
  if (i % 3 === 0) lines.push(`@write ${bigRepoPath(1)} the same change`);
  if (i % 2 === 0) lines.push(`@commit work of task ${i}`, `@write ${bigRepoPath(i * 100 + 2)} uncommitted after the commit`);
  lines.push(`@write bench/task-${i}/done.txt done`, `@await-file ${gate}`, `@stream ${rate} ${join(stopDir, `stop-${i}`)}`);
  return lines.join('\n');
}

const isTasksView = (screen: string) => /ID +STATE +RISK +AGENT/.test(screen);
const isAgentsView = (screen: string) => !isTasksView(screen) && / #1 · /.test(screen);

/**
 * Presses `2` (tasks view) and `1` (agents view) in turn, 60–150 ms apart, and times each from
 * sending the key until `capture-pane` shows the other view.
 */
async function viewSwitches(ctl: ControlClient, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const [key, shown, name] = i % 2 === 0 ? (['2', isTasksView, 'tasks'] as const) : (['1', isAgentsView, 'agents'] as const);
    await sleep(60 + Math.random() * 90);
    const t0 = nowMs();
    void ctl.sendKeys('main', key);
    let screen = '';
    for (;;) {
      screen = await ctl.capture('main');
      if (shown(screen)) break;
      if (nowMs() - t0 > 10_000) throw new Error(`pressing ${key} did not show the ${name} view within 10 s; screen:\n${screen}`);
    }
    times.push(nowMs() - t0);
  }
  return times;
}

/** Resolves with the first file of `dir` named `<prefix>…` that is not in `known`, and when (ms since `t0`). */
function appears(dir: string, prefix: string, known: ReadonlySet<string>, t0: number, timeoutMs = 60_000): Promise<{ name: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearInterval(poll);
      watcher.close();
      clearTimeout(timer);
    };
    const check = () => {
      for (const name of readdirSync(dir)) {
        if (known.has(name) || !name.startsWith(prefix)) continue;
        done();
        resolve({ name, ms: nowMs() - t0 });
        return;
      }
    };
    const watcher = watch(dir, check);
    const poll = setInterval(check, 2);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${prefix}* file appeared in ${dir} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    check();
  });
}

export const scale: Bench = {
  name: 'scale',
  method: [
    'A generated repository of 10,000 files (quick: 500); 500 tasks (quick: 100) added through the socket with at most 32 workers (quick: 8), so 32 agents run and the rest wait in the queue. Each agent is the fake agent of test/fixtures (started through `sh`, which first touches a marker file named for its task): it edits a file of its own and adds some, half of them change one shared file differently and commit, a third make the same change to another; then it waits, and on a signal streams about 200 numbered lines a second until stopped.',
    "The real cockpit (`node bin/muster.js`, CI=false) runs in a 200×50 tmux pane. Keypress to screen: `j` and `k` in turn (40; quick: 8), each timed until `capture-pane -e` shows the newly selected pane's title bar in inverse video (as the latency benchmark). Switching views: `2` (tasks) and `1` (agents) in turn (20; quick: 6), each timed until the other view is on the screen, after two unmeasured switches (the first of a fresh cockpit compiles its table code). Cockpit CPU: the TUI's utime+stime over 5 s (quick: 1.5 s) with the agents view shown. Each of these is measured first with the agents waiting (the baseline: the same cockpit, the same tasks, nothing streaming), then again while all of them stream.",
    "While they stream: supervisor memory (RSS of the supervisor and its terminal worker; baseline: the same supervisor before any task was added); `status` (the request behind `status --json`, 500 tasks in its answer) timed 30 times (quick: 10) over the socket, beside `ping` on the same connection, with `muster status --json` through the CLI in the detail; a fresh conflict scan (`muster conflicts --json`, first and median of 3; quick: 1) beside `git status --porcelain` run in each task worktree one after another (what merely looking at every worktree once costs); and dispatch of the next task when one finishes: a running agent is told to finish (it exits 0, so its task goes to review and frees its worker), timed from its shell marking its end until the next queued task's agent has touched its marker (3 times; quick: 1), beside `git worktree add` of the same repository, alternating.",
  ].join('\n\n'),
  async run({ quick, log }) {
    const agents = quick ? 8 : 32;
    const queued = quick ? 100 : 500;
    const files = quick ? 500 : 10_000;
    const keyPresses = quick ? 8 : 40;
    const switches = quick ? 6 : 20;
    const cpuWindowMs = quick ? 1_500 : 5_000;
    const statusCalls = quick ? 10 : 30;
    const scans = quick ? 1 : 3;
    const dispatches = quick ? 1 : 3;
    return withCleanup(async (cleanup) => {
      const t0 = Date.now();
      const big = createBigRepo(files);
      const markers = join(big.root, 'started');
      mkdirSync(markers);
      const gate = join(big.root, 'stream-now');
      // Not exec: the shell marks the agent's end too, the moment before the supervisor sees it exit.
      const agent = 'touch "$0/started-$MUSTER_TASK_ID"; "$1" "$2"; s=$?; touch "$0/finished-$MUSTER_TASK_ID"; exit $s';
      const repo = benchRepo(cleanup, {
        repo: big,
        agents: { stream: { command: 'sh', args: ['-c', agent, markers, process.execPath, FAKE_AGENT] } },
        defaultAgent: 'stream',
        maxWorkers: agents,
      });
      const supervisor = await startSupervisor(repo.dir, 'scale-supervisor');
      const rssEmptyKb = rssKb(supervisor);
      const { client } = await connect({ cwd: repo.dir });
      cleanup.defer('close the socket client', () => client.close());
      for (let i = 1; i <= queued; i++) await client.call('task.add', { title: `task ${i}`, prompt: promptOf(i, gate, 200, big.root) });
      const ids = Array.from({ length: agents }, (_, k) => k + 1);
      const running = await waitRunning(repo.dir, ids, 300_000);
      await until(
        () => running.every((t) => existsSync(join(t.worktree!, 'bench', `task-${t.id}`, 'done.txt'))),
        'every agent to write its files',
        120_000,
        100,
      );
      log(`${files} files, ${queued} tasks, ${agents} agents running in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      const cockpit = await openCockpit(cleanup, {
        name: 'scale',
        repoDir: repo.dir,
        shown: [' #1 · ', ' #2 · '],
        what: 'the cockpit with the first panes of the grid',
      });
      const { ctl } = cockpit;
      await sleep(500);
      const pair: [number, number] = [1, 2];
      const idleKeys = await presses(ctl, pair, keyPresses);
      // The first switches of a fresh cockpit compile its table code (up to a second under
      // load): two unmeasured ones first, as the startup benchmark warms up.
      await viewSwitches(ctl, 2);
      const idleViews = await viewSwitches(ctl, switches);
      await sleep(300);
      let meter = new CpuMeter({ tui: cockpit.pids.tui, supervisor: cockpit.pids.supervisor });
      await sleep(cpuWindowMs);
      const idleCpu = meter.read();
      log(
        `idle: keypress p95 ${percentile(idleKeys, 95).toFixed(1)} ms, view switch p95 ${percentile(idleViews, 95).toFixed(1)} ms, cockpit ${idleCpu.tui!.toFixed(0)}%`,
      );

      writeFileSync(gate, 'stream\n');
      let shown = '';
      await until(
        async () => {
          shown = await ctl.capture('main');
          return shown.includes('#1 streams line') && shown.includes('#2 streams line');
        },
        'the first panes to show their agents streaming',
        30_000,
        50,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n--- last screen ---\n${shown}`);
      });
      await sleep(1_500);
      const from = monoUs();
      const busyKeys = await presses(ctl, pair, keyPresses);
      const busyViews = await viewSwitches(ctl, switches);
      await sleep(300);
      meter = new CpuMeter({ tui: cockpit.pids.tui, supervisor: cockpit.pids.supervisor });
      await sleep(cpuWindowMs);
      const busyCpu = meter.read();
      // With its terminal worker, which holds the agents' PTYs and log buffers.
      const rssBusyKb = cockpit.pids.supervisor.reduce((sum, p) => sum + rssKb(p), 0);
      if (profiling.dir) log(`streaming, cockpit measured: --from ${from} --to ${monoUs()}`);
      log(
        `streaming: keypress p95 ${percentile(busyKeys, 95).toFixed(1)} ms, view switch p95 ${percentile(busyViews, 95).toFixed(1)} ms, cockpit ${busyCpu.tui!.toFixed(0)}%, supervisor ${busyCpu.supervisor!.toFixed(0)}%, ${(rssBusyKb / 1024).toFixed(0)} MB`,
      );

      const status: number[] = [];
      const ping: number[] = [];
      for (let i = 0; i < statusCalls; i++) {
        let t = nowMs();
        await client.call('ping', {});
        ping.push(nowMs() - t);
        t = nowMs();
        const s = await client.call('status', {});
        status.push(nowMs() - t);
        if (s.tasks.length !== queued) throw new Error(`status listed ${s.tasks.length} tasks, not ${queued}`);
      }
      const statusCli = await timeCommand(process.execPath, [BIN, 'status', '--json'], repo.dir);
      const bareNode = await timeCommand(process.execPath, ['-e', ''], repo.dir);
      log(
        `status p50 ${percentile(status, 50).toFixed(1)} ms p95 ${percentile(status, 95).toFixed(1)} ms (ping p50 ${percentile(ping, 50).toFixed(1)} ms); CLI ${statusCli.ms.toFixed(0)} ms`,
      );

      const scanTimes: number[] = [];
      let kinds = '';
      for (let i = 0; i < scans; i++) {
        const r = await timeCommand(process.execPath, [BIN, 'conflicts', '--json'], repo.dir);
        scanTimes.push(r.ms);
        if (i === 0) {
          const found = JSON.parse(r.stdout) as { kind: string }[];
          kinds = Object.entries(found.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.kind]: (acc[c.kind] ?? 0) + 1 }), {}))
            .map(([k, v]) => `${v} ${k}`)
            .join(', ');
        }
      }
      const lookT = nowMs();
      for (const t of running) git(t.worktree!, ['status', '--porcelain']);
      const lookMs = nowMs() - lookT;
      log(
        `conflict scan ${scanTimes.map((x) => x.toFixed(0)).join(', ')} ms (${kinds || 'nothing'}); git status of ${running.length} worktrees ${lookMs.toFixed(0)} ms`,
      );

      const gitDir = join(big.root, 'git-worktrees');
      mkdirSync(gitDir);
      const viaGit = async (n: number) =>
        (await timeCommand('git', ['worktree', 'add', '-q', '-b', `bench-${n}`, join(gitDir, `wt-${n}`), 'main'], repo.dir)).ms;
      const nextDispatch: number[] = [];
      const worktreeAdd: number[] = [];
      if (!quick) await viaGit(0);
      for (let i = 0; i < dispatches; i++) {
        worktreeAdd.push(await viaGit(i + 1));
        // The last of the running tasks finishes: the grid's first panes keep streaming.
        const done = agents - i;
        const known = new Set(readdirSync(markers));
        const t = nowMs();
        const finished = appears(markers, `finished-${done}`, known, t);
        const started = appears(markers, 'started-', known, t);
        writeFileSync(join(big.root, `stop-${done}`), '');
        const [end, next] = await Promise.all([finished, started]);
        nextDispatch.push(next.ms - end.ms);
        log(`#${done} finished → ${next.name.replace('started-', '#')} started ${(next.ms - end.ms).toFixed(0)} ms later`);
      }
      const tasksNow = await listTasks(repo.dir);
      const counts = Object.entries(tasksNow.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t.state]: (acc[t.state] ?? 0) + 1 }), {}))
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');

      const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      const size = `${agents} agents streaming, ${queued} tasks`;
      const mb = (kb: number) => kb / 1024;
      const figures: Figure[] = [
        {
          bench: 'scale',
          name: `keypress to screen p95, ${size}`,
          unit: 'ms',
          muster: percentile(busyKeys, 95),
          baseline: percentile(idleKeys, 95),
          baselineLabel: 'same cockpit, agents waiting',
          target: { kind: 'below', value: 50 },
          detail: `${keyPresses} presses each. Streaming: p50 ${percentile(busyKeys, 50).toFixed(1)}, p95 ${percentile(busyKeys, 95).toFixed(1)}, max ${Math.max(...busyKeys).toFixed(1)} ms; waiting: p50 ${percentile(idleKeys, 50).toFixed(1)}, p95 ${percentile(idleKeys, 95).toFixed(1)} ms.`,
        },
        {
          bench: 'scale',
          name: `switching views agents ↔ tasks p95, ${size}`,
          unit: 'ms',
          muster: percentile(busyViews, 95),
          baseline: percentile(idleViews, 95),
          baselineLabel: 'same cockpit, agents waiting',
          target: { kind: 'below', value: 100 },
          detail: `${switches} switches each. Streaming: p50 ${percentile(busyViews, 50).toFixed(1)}, p95 ${percentile(busyViews, 95).toFixed(1)}, max ${Math.max(...busyViews).toFixed(1)} ms; waiting: p50 ${percentile(idleViews, 50).toFixed(1)}, p95 ${percentile(idleViews, 95).toFixed(1)} ms.`,
        },
        {
          bench: 'scale',
          name: `cockpit CPU, ${size}`,
          unit: '%',
          muster: busyCpu.tui!,
          baseline: idleCpu.tui!,
          baselineLabel: 'same cockpit, agents waiting',
          target: { kind: 'below', value: 25 },
          detail: `% of one core over ${cpuWindowMs / 1000} s, agents view. The supervisor meanwhile: ${busyCpu.supervisor!.toFixed(0)}% streaming, ${idleCpu.supervisor!.toFixed(0)}% waiting.`,
        },
        {
          bench: 'scale',
          name: `supervisor memory, ${size}`,
          unit: 'MB',
          muster: mb(rssBusyKb),
          baseline: mb(rssEmptyKb),
          baselineLabel: 'same supervisor, no tasks yet',
          target: { kind: 'none' },
          detail: `RSS ${mb(rssBusyKb).toFixed(0)} MB streaming against ${mb(rssEmptyKb).toFixed(0)} MB before any task: ${(mb(rssBusyKb - rssEmptyKb) / agents).toFixed(1)} MB per running agent (the ${queued - agents} queued tasks included).`,
        },
        {
          bench: 'scale',
          name: `next task dispatched when one finishes, ${size}`,
          unit: 'ms',
          muster: median(nextDispatch),
          baseline: median(worktreeAdd),
          baselineLabel: 'git worktree add',
          target: { kind: 'none' },
          detail: `an agent exited 0 → the next queued task's agent started: ${list(nextDispatch)} ms; git worktree add: ${list(worktreeAdd)} ms (medians). Tasks afterwards: ${counts}.`,
        },
        {
          bench: 'scale',
          name: `conflict scan of ${agents} tasks (${files} files), agents streaming`,
          unit: 'ms',
          muster: scanTimes[0]!,
          baseline: lookMs,
          baselineLabel: `git status in each of ${agents} worktrees`,
          target: { kind: 'below', value: 3000 },
          detail: `\`muster conflicts --json\` (fresh scan, CLI start included): ${list(scanTimes)} ms; found ${kinds || 'nothing'}.`,
        },
        {
          bench: 'scale',
          name: `status (${queued} tasks) via socket, p95`,
          unit: 'ms',
          muster: percentile(status, 95),
          baseline: percentile(ping, 95),
          baselineLabel: 'ping round trip',
          target: { kind: 'below', value: 50 },
          detail: `${statusCalls} calls while streaming: p50 ${percentile(status, 50).toFixed(1)}, p95 ${percentile(status, 95).toFixed(1)} ms; ping p50 ${percentile(ping, 50).toFixed(1)} ms. Through the CLI, \`muster status --json\` took ${statusCli.ms.toFixed(0)} ms, against ${bareNode.ms.toFixed(0)} ms for \`node -e ''\`.`,
        },
      ];
      return figures;
    });
  },
};
