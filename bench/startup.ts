import { basename } from 'node:path';
import { createTempRepo } from '../test/helpers/temp-repo.js';
import { withCleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { BIN, benchRepo, profileFlags, startSupervisor } from './lib/muster.js';
import { SCREEN } from './lib/rigs.js';
import { median, nowMs, percentile, sleep } from './lib/stats.js';
import { TmuxServer, type ControlClient } from './lib/tmux.js';

/**
 * Opens a window running `command` and times, from the request, each of `texts` first
 * appearing in `capture-pane` (polled every ~2 ms through the control client).
 */
async function launch(ctl: ControlClient, name: string, command: string, texts: string[], quitKey?: string): Promise<number[]> {
  const found: (number | undefined)[] = texts.map(() => undefined);
  const t0 = nowMs();
  void ctl.run(`new-window -d -n ${name} "${command.replace(/["\\$]/g, (c) => `\\${c}`)}"`);
  try {
    for (;;) {
      const screen = await ctl.capture(`main:${name}`).catch(() => '');
      const t = nowMs() - t0;
      texts.forEach((text, i) => {
        if (found[i] === undefined && screen.includes(text)) found[i] = t;
      });
      if (found.every((f) => f !== undefined)) return found as number[];
      if (t > 15_000) throw new Error(`${name}: "${texts[found.findIndex((f) => f === undefined)]}" did not appear within 15 s; screen:\n${screen}`);
      await sleep(2);
    }
  } finally {
    // The TUI quits on its key (and so writes its CPU profile when profiling); then the window goes.
    if (quitKey) {
      await ctl.sendKeys(`main:${name}`, quitKey).catch(() => undefined);
      await sleep(400);
    }
    await ctl.run(`kill-window -t main:${name}`).catch(() => undefined);
  }
}

export const startup: Bench = {
  name: 'startup',
  method: [
    'Startup to the first useful frame, with the supervisor already running: a tmux control client opens a new 200×50 window running `node bin/muster.js` (CI=false) in a repository named `repo`, and polls `capture-pane` every ~2 ms until the header shows `muster · repo · main@` (drawn once the supervisor has answered: the first useful frame). The time to the placeholder header (`muster · connecting…`, drawn before the supervisor answers) is reported too.',
    'Baseline: the same for `node -e "console.log(\'muster · repo · main@0000000\')"`, the cost of starting node and getting a line on the screen. Runs alternate (10 each; quick: 3) after one unmeasured warm-up of each; medians are compared.',
  ].join('\n\n'),
  async run({ quick, log }) {
    const runs = quick ? 3 : 10;
    return withCleanup(async (cleanup) => {
      const repo = benchRepo(cleanup, { repo: createTempRepo(), agents: { idle: { command: 'sleep', args: ['1000'] } }, defaultAgent: 'idle', maxWorkers: 1 });
      await startSupervisor(repo.dir, 'startup-supervisor');
      const server = TmuxServer.start({ cwd: repo.dir, command: 'exec sleep 1000000', ...SCREEN, cleanup, newWindows: true });
      const ctl = await server.control(cleanup);
      const header = `muster · ${basename(repo.dir)} · main@`;
      const tui = [process.execPath, ...profileFlags('startup-tui'), BIN].map((a) => `'${a}'`).join(' ');
      const bare = `'${process.execPath}' -e "console.log('${header}0000000'); setInterval(() => {}, 1e6)"`;
      await launch(ctl, 'warm-m', tui, [header], 'q');
      await launch(ctl, 'warm-b', bare, [header]);
      const first: number[] = [];
      const useful: number[] = [];
      const baseline: number[] = [];
      for (let i = 0; i < runs; i++) {
        const [f, u] = await launch(ctl, `m${i}`, tui, ['muster · ', header], 'q');
        first.push(f!);
        useful.push(u!);
        baseline.push((await launch(ctl, `b${i}`, bare, [header]))[0]!);
        await sleep(100);
      }
      log(`first useful frame median ${median(useful).toFixed(0)} ms (placeholder ${median(first).toFixed(0)} ms), node -e ${median(baseline).toFixed(0)} ms`);
      const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
      const figures: Figure[] = [
        {
          bench: 'startup',
          name: 'startup to first useful frame (supervisor running)',
          unit: 'ms',
          muster: median(useful),
          baseline: median(baseline),
          baselineLabel: "node -e 'console.log(…)'",
          target: { kind: 'below', value: 300 },
          detail: `medians of ${runs}; muster ${list(useful)} ms (p95 ${percentile(useful, 95).toFixed(0)}); node -e ${list(baseline)} ms.`,
        },
        {
          bench: 'startup',
          name: 'startup to placeholder header',
          unit: 'ms',
          muster: median(first),
          baseline: median(baseline),
          baselineLabel: "node -e 'console.log(…)'",
          target: { kind: 'none' },
          detail: `muster ${list(first)} ms.`,
        },
      ];
      return figures;
    });
  },
};
