import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { withCleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { LINES_DONE, REDRAW_DONE, openGate, type Phase } from './lib/flood-agent.js';
import { CpuMeter } from './lib/proc.js';
import { startCockpitRig, startTmuxRig, type Rig } from './lib/rigs.js';
import { monoUs, nowMs, sleep } from './lib/stats.js';
import { profiling } from './lib/muster.js';

const MB = 1024 * 1024;

interface PhaseResult {
  /** Seconds from opening the phase until the last agent's end marker was on screen. */
  seconds: number;
  /** Seconds at which each agent's end marker showed up. */
  finished: number[];
  /** Panes that never showed their end marker although the supervisor had the whole output. */
  stale: number;
  /** Seconds until the supervisor had logged every agent's end marker (muster only). */
  drainedAt: number | null;
  cpuPercent: Record<string, number>;
  cpuMs: Record<string, number>;
  frames: number;
  outBytes: number;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

function fileSize(file: string | null): number {
  if (!file) return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readRange(file: string, from: number, to: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, to - from));
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** How long a pane may stay without its end marker after the supervisor logged all output. */
const STALE_AFTER_S = 8;

/**
 * Opens one phase for every agent at once and polls what the operator sees (every 40 ms)
 * until each agent's end marker is on screen: the output went all the way through. CPU and
 * frames are read at the last moment of progress, so a wait for a stale pane does not dilute
 * them.
 */
export async function runPhase(rig: Rig, phase: Phase, marker: string, timeoutMs: number): Promise<PhaseResult> {
  const out0 = fileSize(rig.outFile);
  const from = monoUs();
  const meter = new CpuMeter(rig.pids);
  const t0 = nowMs();
  const gate = openGate(rig.gateDir, phase, rig.agents);
  const finished: number[] = [];
  let drainedAt: number | null = null;
  let screen = '';
  let progress = { cpuPercent: meter.read(), cpuMs: meter.usedMs(), out: out0 };
  const mark = () => (progress = { cpuPercent: meter.read(), cpuMs: meter.usedMs(), out: fileSize(rig.outFile) });
  try {
    for (;;) {
      screen = await rig.screen();
      const now = (nowMs() - t0) / 1000;
      const done = Math.min(count(screen, marker), rig.agents);
      if (done > finished.length) mark();
      while (finished.length < done) finished.push(now);
      if (done >= rig.agents) break;
      if (drainedAt === null && rig.drained && rig.drained(marker) >= rig.agents) {
        drainedAt = now;
        mark();
      }
      if (drainedAt !== null && now - drainedAt > STALE_AFTER_S) break;
      if (now * 1000 > timeoutMs)
        throw new Error(`${rig.label}: only ${done} of ${rig.agents} agents showed ${marker} after ${timeoutMs / 1000} s; last screen:\n${screen}`);
      await sleep(40);
    }
  } finally {
    gate.close();
  }
  const stale = rig.agents - finished.length;
  if (profiling.dir) process.stderr.write(`bench: ${rig.label} ${phase}: --from ${from} --to ${monoUs()}\n`);
  // pipe-pane hands the bytes over asynchronously: let it catch up before counting frames.
  await sleep(300);
  const seconds = Math.max(finished.at(-1) ?? 0, stale ? (drainedAt ?? 0) : 0);
  const frames = rig.outFile && rig.frameMarker ? count(readRange(rig.outFile, out0, progress.out), rig.frameMarker) : 0;
  return { seconds, finished, stale, drainedAt, cpuPercent: progress.cpuPercent, cpuMs: progress.cpuMs, frames, outBytes: progress.out - out0 };
}

const perAgentMBs = (bytes: number, r: PhaseResult) => bytes / MB / r.seconds;
const fps = (r: PhaseResult) => r.frames / r.seconds;

export const pipeline: Bench = {
  name: 'pipeline',
  method: [
    'N flood agents (8; quick: 2) run one shell script, unchanged, as a muster agent preset and in tmux panes. The script waits on a FIFO before each phase (no CPU while idle), so every agent starts a phase at the same moment.',
    "Phase *lines*: `yes 'a line of output from an agent' | head -c BYTES; echo DONE-LINES` (BYTES = 8 MB; quick: 2 MB). Phase *redraw*: a colourful full-screen app: BYTES of 60×12 frames in 256 colours, each row cursor-addressed, the last frame saying DONE-REDRAW.",
    'muster: the agents run under the supervisor and the real TUI (`CI=false node bin/muster.js`) shows them in its live agents grid, in a 200×50 tmux pane. Baseline: the same script in 8 panes of a 200×50 tmux window (split-window + select-layout tiled), shown by a tmux client attached inside a 200×50 tmux pane — so both sides emulate every agent and draw all 8 panes into the same kind of terminal. A third run with the tmux session detached (no client drawing) is reported too.',
    "Throughput per agent = BYTES ÷ the time from opening the phase until the last agent's DONE marker is visible in `capture-pane` of the operator's pane (polled every 40 ms): this proves the bytes were drained, emulated and rendered. CPU = utime+stime deltas from /proc/<pid>/stat over the phase, as % of one core; muster's supervisor counts with its terminal worker (`muster worker`, which owns the agents' PTYs and logs). Frames are counted in the bytes written to the operator's pane (`tmux pipe-pane`): muster's TUI starts each frame with `ESC[?2026h`; tmux (with the `sync` terminal feature) wraps each screen update in `ESC P=1s`. Nothing is added to the product for this. The TUI's CPU is set beside the tmux server and client together: tmux's client only copies bytes, its server emulates and draws.",
    "If a pane never shows its end marker although the supervisor has logged the agent's whole output (a stale pane: rows lost between the supervisor and the TUI), the phase ends 8 s after the supervisor had it all, the time is taken at that moment, and the details say STALE PANES.",
  ].join('\n\n'),
  async run({ quick, log }) {
    const agents = quick ? 2 : 8;
    const bytes = (quick ? 2 : 8) * MB;
    const timeoutMs = quick ? 60_000 : 180_000;

    const m = await withCleanup(async (cleanup) => {
      log(`muster: ${agents} agents, ${bytes / MB} MB each`);
      const rig = await startCockpitRig(cleanup, { name: 'pipeline', agents, bytes });
      await sleep(500);
      const lines = await runPhase(rig, 'lines', LINES_DONE, timeoutMs);
      log(`muster lines: ${lines.seconds.toFixed(2)} s, ${lines.frames} frames${lines.stale ? `, ${lines.stale} stale panes` : ''}`);
      const redraw = await runPhase(rig, 'redraw', REDRAW_DONE, timeoutMs);
      log(`muster redraw: ${redraw.seconds.toFixed(2)} s, ${redraw.frames} frames${redraw.stale ? `, ${redraw.stale} stale panes` : ''}`);
      return { lines, redraw };
    });
    const t = await withCleanup(async (cleanup) => {
      const rig = await startTmuxRig(cleanup, { agents, bytes, attached: true });
      await sleep(500);
      const lines = await runPhase(rig, 'lines', LINES_DONE, timeoutMs);
      log(`tmux lines: ${lines.seconds.toFixed(2)} s, ${lines.frames} updates`);
      const redraw = await runPhase(rig, 'redraw', REDRAW_DONE, timeoutMs);
      log(`tmux redraw: ${redraw.seconds.toFixed(2)} s, ${redraw.frames} updates`);
      return { lines, redraw };
    });
    const d = await withCleanup(async (cleanup) => {
      const rig = await startTmuxRig(cleanup, { agents, bytes, attached: false });
      await sleep(300);
      const lines = await runPhase(rig, 'lines', LINES_DONE, timeoutMs);
      log(`tmux detached lines: ${lines.seconds.toFixed(2)} s`);
      return { lines };
    });

    const tmuxCpu = (r: PhaseResult) => r.cpuPercent.tmuxServer! + r.cpuPercent.tmuxClient!;
    const agg = (r: PhaseResult) => `${((agents * bytes) / MB / r.seconds).toFixed(1)} MB/s aggregate`;
    const staleNote = (r: PhaseResult) =>
      r.stale
        ? `STALE PANES: ${r.stale} of ${agents} panes never showed their last line, although the supervisor had logged it at ${r.drainedAt!.toFixed(1)} s (timed to that moment instead). `
        : '';
    const detail = (mr: PhaseResult, tr: PhaseResult) =>
      `${staleNote(mr)}muster ${mr.seconds.toFixed(2)} s for ${agents}×${bytes / MB} MB (${agg(mr)}; agents finished at ${mr.finished.map((s) => s.toFixed(1)).join(', ')} s); tmux ${tr.seconds.toFixed(2)} s (${agg(tr)}). CPU: supervisor ${mr.cpuPercent.supervisor!.toFixed(0)}%, TUI ${mr.cpuPercent.tui!.toFixed(0)}%, operator's tmux ${mr.cpuPercent.display!.toFixed(0)}% | tmux server ${tr.cpuPercent.tmuxServer!.toFixed(0)}%, tmux client ${tr.cpuPercent.tmuxClient!.toFixed(0)}%, operator's tmux ${tr.cpuPercent.display!.toFixed(0)}%. Bytes written to the operator's terminal: muster ${(mr.outBytes / 1024).toFixed(0)} KB, tmux ${(tr.outBytes / 1024).toFixed(0)} KB.`;
    const shown = (r: { lines: PhaseResult; redraw: PhaseResult }) => 2 * agents - r.lines.stale - r.redraw.stale;
    const figures: Figure[] = [
      {
        bench: 'pipeline',
        name: "panes showing their agent's last output (both phases)",
        unit: 'count',
        muster: shown(m),
        baseline: shown(t),
        baselineLabel: 'tmux panes',
        target: { kind: 'ratio-at-least', value: 1 },
        detail: `capture-pane of the operator's pane at the end of each phase showed the end marker in ${shown(m)} of ${2 * agents} muster panes and ${shown(t)} of ${2 * agents} tmux panes.${m.lines.stale + m.redraw.stale ? " A muster pane left stale keeps showing an old frame although the supervisor has the agent's whole output." : ''}`,
      },
      {
        bench: 'pipeline',
        name: `lines: throughput per agent (${agents} agents)`,
        unit: 'MB/s',
        muster: perAgentMBs(bytes, m.lines),
        baseline: perAgentMBs(bytes, t.lines),
        baselineLabel: `${agents} tmux panes`,
        target: { kind: 'ratio-at-least', value: 1 },
        detail: detail(m.lines, t.lines),
      },
      {
        bench: 'pipeline',
        name: `redraw: throughput per agent (${agents} agents)`,
        unit: 'MB/s',
        muster: perAgentMBs(bytes, m.redraw),
        baseline: perAgentMBs(bytes, t.redraw),
        baselineLabel: `${agents} tmux panes`,
        target: { kind: 'ratio-at-least', value: 1 },
        detail: detail(m.redraw, t.redraw),
      },
      {
        bench: 'pipeline',
        name: `lines: throughput per agent vs detached tmux`,
        unit: 'MB/s',
        muster: perAgentMBs(bytes, m.lines),
        baseline: perAgentMBs(bytes, d.lines),
        baselineLabel: `${agents} tmux panes, no client`,
        target: { kind: 'none' },
        detail: `detached tmux: ${d.lines.seconds.toFixed(2)} s (${agg(d.lines)}), tmux server CPU ${d.lines.cpuPercent.tmuxServer!.toFixed(0)}%.`,
      },
      {
        bench: 'pipeline',
        name: `lines: TUI CPU, ${agents} agents streaming`,
        unit: '%',
        muster: m.lines.cpuPercent.tui!,
        baseline: tmuxCpu(t.lines),
        baselineLabel: 'tmux server + client',
        target: { kind: 'below', value: 25 },
        detail: `TUI ${(m.lines.cpuMs.tui! / Math.max(1, m.lines.frames)).toFixed(2)} ms of CPU per frame over ${m.lines.frames} frames; redraw phase ${(m.redraw.cpuMs.tui! / Math.max(1, m.redraw.frames)).toFixed(2)} ms per frame.`,
      },
      {
        bench: 'pipeline',
        name: 'redraw: TUI CPU',
        unit: '%',
        muster: m.redraw.cpuPercent.tui!,
        baseline: tmuxCpu(t.redraw),
        baselineLabel: 'tmux server + client',
        target: { kind: 'below', value: 25 },
      },
      {
        bench: 'pipeline',
        name: 'lines: supervisor + TUI CPU',
        unit: '%',
        muster: m.lines.cpuPercent.supervisor! + m.lines.cpuPercent.tui!,
        baseline: tmuxCpu(t.lines),
        baselineLabel: 'tmux server + client',
        target: { kind: 'none' },
        detail: `supervisor ${m.lines.cpuPercent.supervisor!.toFixed(0)}% (of which the terminal worker ${m.lines.cpuPercent.worker!.toFixed(0)}%) + TUI ${m.lines.cpuPercent.tui!.toFixed(0)}%; per MB drained: muster ${((m.lines.cpuMs.supervisor! + m.lines.cpuMs.tui!) / ((agents * bytes) / MB)).toFixed(1)} ms (of which the terminal worker ${(m.lines.cpuMs.worker! / ((agents * bytes) / MB)).toFixed(1)} ms, the supervisor's main process ${((m.lines.cpuMs.supervisor! - m.lines.cpuMs.worker!) / ((agents * bytes) / MB)).toFixed(1)} ms, the TUI ${(m.lines.cpuMs.tui! / ((agents * bytes) / MB)).toFixed(1)} ms), tmux ${((t.lines.cpuMs.tmuxServer! + t.lines.cpuMs.tmuxClient!) / ((agents * bytes) / MB)).toFixed(1)} ms of CPU.`,
      },
      {
        bench: 'pipeline',
        name: 'redraw: supervisor + TUI CPU',
        unit: '%',
        muster: m.redraw.cpuPercent.supervisor! + m.redraw.cpuPercent.tui!,
        baseline: tmuxCpu(t.redraw),
        baselineLabel: 'tmux server + client',
        target: { kind: 'none' },
        detail: `supervisor ${m.redraw.cpuPercent.supervisor!.toFixed(0)}% (of which the terminal worker ${m.redraw.cpuPercent.worker!.toFixed(0)}%) + TUI ${m.redraw.cpuPercent.tui!.toFixed(0)}%.`,
      },
      {
        bench: 'pipeline',
        name: 'lines: screen updates per second',
        unit: 'fps',
        muster: fps(m.lines),
        baseline: fps(t.lines),
        baselineLabel: 'tmux client updates',
        target: { kind: 'none' },
        detail: `muster ${m.lines.frames} frames (${(m.lines.outBytes / Math.max(1, m.lines.frames) / 1024).toFixed(1)} KB each), tmux ${t.lines.frames} synchronized updates, over the lines phase.`,
      },
      {
        bench: 'pipeline',
        name: 'redraw: screen updates per second',
        unit: 'fps',
        muster: fps(m.redraw),
        baseline: fps(t.redraw),
        baselineLabel: 'tmux client updates',
        target: { kind: 'none' },
      },
    ];
    return figures;
  },
};
