import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempRepo } from '../test/helpers/temp-repo.js';
import { withCleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { addTask, benchRepo, startSupervisor, waitRunning, workerPid } from './lib/muster.js';
import { rssKb } from './lib/proc.js';
import { tempDir } from './lib/rigs.js';
import { mean, sleep, until } from './lib/stats.js';
import { TmuxServer } from './lib/tmux.js';

const LINES = 12_000;
const END = 'SCROLLBACK-DONE';
/** What each agent prints: 12,000 distinct lines (more than the 10,000 kept), then it waits. */
const PROGRAM = `seq -f 'scrollback line %.0f of an agent that printed a lot of output' ${LINES}; echo ${END}; exec sleep 1000000`;

/** RSS in MiB after a rest, the mean of a few samples a little apart (a GC can land in between). */
async function settledRssMb(pid: number, quick: boolean): Promise<number> {
  await sleep(quick ? 1000 : 2000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssKb(pid) / 1024);
    await sleep(quick ? 50 : 200);
  }
  return mean(samples);
}

async function musterPerAgent(agents: number, quick: boolean, log: (m: string) => void): Promise<{ perAgent: number; before: number; after: number }> {
  return withCleanup(async (cleanup) => {
    const repo = benchRepo(cleanup, {
      repo: createTempRepo(),
      agents: { printer: { command: 'sh', args: ['-c', PROGRAM] } },
      defaultAgent: 'printer',
      maxWorkers: agents,
    });
    const pid = await startSupervisor(repo.dir, 'memory-supervisor');
    const before = await settledRssMb(pid, quick);
    const ids: number[] = [];
    for (let i = 1; i <= agents; i++) ids.push((await addTask(repo.dir, `printer ${i}`)).id);
    await waitRunning(repo.dir, ids);
    // The supervisor has read an agent's output all through once its log has the end marker.
    await until(
      () =>
        ids.every((id) => {
          const log = join(repo.dir, '.git', 'muster', 'tasks', String(id), 'terminal.log');
          return existsSync(log) && readFileSync(log, 'latin1').includes(END);
        }),
      'every agent to print its 12,000 lines',
      120_000,
      200,
    );
    // The agents' PTYs and log buffers are in the terminal worker, started with the first agent: its RSS counts whole.
    const worker = workerPid(repo.dir);
    const supervisorAfter = await settledRssMb(pid, quick);
    const workerAfter = worker ? await settledRssMb(worker, quick) : 0;
    const after = supervisorAfter + workerAfter;
    log(
      `muster supervisor + terminal worker RSS ${before.toFixed(1)} → ${after.toFixed(1)} MiB with ${agents} agents (supervisor ${supervisorAfter.toFixed(1)}, worker ${workerAfter.toFixed(1)})`,
    );
    return { perAgent: (after - before) / agents, before, after };
  });
}

async function tmuxPerPane(
  panes: number,
  quick: boolean,
  log: (m: string) => void,
): Promise<{ perAgent: number; before: number; after: number; history: string }> {
  return withCleanup(async (cleanup) => {
    const dir = tempDir(cleanup, 'memory');
    // 120×32, the size of an agent's terminal in the supervisor when no client shows it.
    const server = TmuxServer.start({ cwd: dir, command: 'exec sleep 1000000', cols: 120, rows: 32, cleanup, historyLimit: 10_000, newWindows: true });
    const pid = server.pid();
    const before = await settledRssMb(pid, quick);
    for (let i = 1; i <= panes; i++) server.cmd('new-window', '-d', '-t', 'main', PROGRAM);
    await until(
      () => {
        for (let i = 1; i <= panes; i++) if (!server.cmd('capture-pane', '-p', '-t', `main:${i}`).includes(END)) return false;
        return true;
      },
      'every pane to print its 12,000 lines',
      120_000,
      200,
    );
    const after = await settledRssMb(pid, quick);
    const history = server.cmd('list-panes', '-s', '-t', 'main', '-F', '#{history_size}').trim().split('\n').slice(1).join(',');
    log(`tmux server RSS ${before.toFixed(1)} → ${after.toFixed(1)} MiB with ${panes} panes (history ${history})`);
    return { perAgent: (after - before) / panes, before, after, history };
  });
}

export const memory: Bench = {
  name: 'memory',
  method: [
    "Memory per agent with 10,000 lines of scrollback. muster: the RSS of the supervisor and its terminal worker (VmRSS, mean of 5 samples after 2 s of rest (quick: 1 s)) with N agents (8; quick: 2) that each printed 12,000 distinct ~60-character lines and stay alive, minus its RSS before any agent, divided by N; the agents' terminals are 120×32 (nothing shows them) and keep the default 10,000 lines of scrollback.",
    "Baseline: the same program in N tmux windows of 120×32 with `history-limit 10000`: the tmux server's RSS with them minus with one idle window, divided by N.",
  ].join('\n\n'),
  async run({ quick, log }) {
    const n = quick ? 2 : 8;
    const m = await musterPerAgent(n, quick, log);
    const t = await tmuxPerPane(n, quick, log);
    const figures: Figure[] = [
      {
        bench: 'memory',
        name: `memory per agent, 10,000 lines of scrollback (${n} agents)`,
        unit: 'MB',
        muster: m.perAgent,
        baseline: t.perAgent,
        baselineLabel: 'tmux server per pane',
        target: { kind: 'at-most', value: 25 },
        detail: `supervisor RSS ${m.before.toFixed(1)} MiB with no agent, ${m.after.toFixed(1)} MiB with ${n}; tmux server ${t.before.toFixed(1)} → ${t.after.toFixed(1)} MiB (history sizes ${t.history}). MB here are MiB.`,
      },
    ];
    return figures;
  },
};
