import { withCleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { openGate } from './lib/flood-agent.js';
import { CpuMeter } from './lib/proc.js';
import { startCockpitRig } from './lib/rigs.js';
import { nowMs, percentile, sleep } from './lib/stats.js';
import type { ControlClient } from './lib/tmux.js';

/**
 * The task ids whose pane title bar starts in inverse video on a `capture-pane -e` screen:
 * the selected pane. SGR state is replayed through each row, since tmux re-encodes it.
 */
export function inverseTitles(screen: string): number[] {
  const ids: number[] = [];
  for (const row of screen.split('\n')) {
    let plain = '';
    const inverse: boolean[] = [];
    let on = false;
    const sgr = /\x1b\[([0-9;:]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b./y;
    for (let i = 0; i < row.length; ) {
      sgr.lastIndex = i;
      const m = sgr.exec(row);
      if (m) {
        if (m[1] !== undefined) for (const c of m[1] === '' ? ['0'] : m[1].split(';')) on = c === '7' ? true : c === '0' || c === '27' ? false : on;
        i = sgr.lastIndex;
        continue;
      }
      plain += row[i];
      inverse.push(on);
      i++;
    }
    for (const m of plain.matchAll(/#(\d+) · /g)) if (inverse[m.index!]) ids.push(Number(m[1]));
  }
  return ids;
}

/**
 * Presses `j` and `k` in turn (the selection moves to the next pane and back) and times each
 * press from sending the key until the newly selected pane's title bar shows inverse in
 * `capture-pane -e`, polled back to back through a tmux control client.
 */
export async function presses(ctl: ControlClient, ids: [number, number], n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const [key, expected] = i % 2 === 0 ? ['j', ids[1]] : ['k', ids[0]];
    // Out of step with any frame tick.
    await sleep(60 + Math.random() * 90);
    const t0 = nowMs();
    void ctl.sendKeys('main', key);
    for (;;) {
      const sel = inverseTitles(await ctl.capture('main', true));
      if (sel.length === 1 && sel[0] === expected) break;
      if (nowMs() - t0 > 10_000) throw new Error(`pressing ${key} did not select #${expected} within 10 s (selected: ${sel.join(', ') || 'none'})`);
    }
    times.push(nowMs() - t0);
  }
  return times;
}

export const latency: Bench = {
  name: 'latency',
  method: [
    "The real TUI in a 200×50 tmux pane shows N agents (8; quick: 2) in its grid. `j` and `k` are sent in turn through a tmux control client (40 presses; quick: 10), 60–150 ms apart; each press is timed until `capture-pane -p -e` (polled back to back through the same control client) shows the newly selected pane's title bar in inverse video. So the figure includes tmux receiving the key and drawing the TUI's answer, as an operator would see it.",
    "Baseline: the same presses in the same TUI while the agents sit idle (blocked on a FIFO). Then every agent streams numbered lines as fast as it can (`seq -f 'a line of output from an agent %.0f' 1 inf`), so every row of every pane changes, and the presses are timed again.",
  ].join('\n\n'),
  async run({ quick, log }) {
    const agents = quick ? 2 : 8;
    const n = quick ? 10 : 40;
    return withCleanup(async (cleanup) => {
      const rig = await startCockpitRig(cleanup, { name: 'latency', agents, bytes: 1000 });
      const pair: [number, number] = [rig.ids[0]!, rig.ids[1]!];
      // The panes' titles can be drawn a frame before the selection is: wait for it as for a press.
      const t0 = nowMs();
      for (;;) {
        const first = inverseTitles(await rig.screen(true));
        if (first.length === 1 && first[0] === pair[0]) break;
        if (nowMs() - t0 > 10_000) throw new Error(`expected #${pair[0]} selected at start, found ${first.join(', ') || 'none'} within 10 s`);
        await sleep(20);
      }
      await sleep(300);
      const idle = await presses(rig.ctl, pair, n);
      log(`idle p50 ${percentile(idle, 50).toFixed(1)} ms, p95 ${percentile(idle, 95).toFixed(1)} ms`);
      // Through the short lines and redraw phases straight into streaming forever.
      const gates = (['lines', 'redraw', 'stream'] as const).map((p) => openGate(rig.gateDir, p, agents));
      cleanup.defer('close the phase FIFOs', () => gates.forEach((g) => g.close()));
      await sleep(1500);
      const meter = new CpuMeter(rig.pids);
      const busy = await presses(rig.ctl, pair, n);
      const cpu = meter.read();
      log(
        `streaming p50 ${percentile(busy, 50).toFixed(1)} ms, p95 ${percentile(busy, 95).toFixed(1)} ms; TUI ${cpu.tui!.toFixed(0)}%, supervisor ${cpu.supervisor!.toFixed(0)}%`,
      );
      const detail = `${n} presses each. Streaming: p50 ${percentile(busy, 50).toFixed(1)}, p95 ${percentile(busy, 95).toFixed(1)}, max ${Math.max(...busy).toFixed(1)} ms; idle: p50 ${percentile(idle, 50).toFixed(1)}, p95 ${percentile(idle, 95).toFixed(1)}, max ${Math.max(...idle).toFixed(1)} ms. CPU while streaming: TUI ${cpu.tui!.toFixed(0)}%, supervisor ${cpu.supervisor!.toFixed(0)}%, operator's tmux ${cpu.display!.toFixed(0)}%.`;
      const figures: Figure[] = [
        {
          bench: 'latency',
          name: `keypress to screen p50, ${agents} agents streaming`,
          unit: 'ms',
          muster: percentile(busy, 50),
          baseline: percentile(idle, 50),
          baselineLabel: 'idle TUI',
          target: { kind: 'none' },
        },
        {
          bench: 'latency',
          name: `keypress to screen p95, ${agents} agents streaming`,
          unit: 'ms',
          muster: percentile(busy, 95),
          baseline: percentile(idle, 95),
          baselineLabel: 'idle TUI',
          target: { kind: 'below', value: 50 },
          detail,
        },
      ];
      return figures;
    });
  },
};
