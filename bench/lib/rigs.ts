import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempRepo } from '../../test/helpers/temp-repo.js';
import type { Cleanup } from './cleanup.js';
import { writeFloodAgent } from './flood-agent.js';
import { addTask, benchRepo, BIN, daemonPid, profileFlags, startSupervisor, waitRunning, workerPid } from './muster.js';
import { findProcess, isAlive } from './proc.js';
import { sleep, until } from './stats.js';
import { TmuxServer, type ControlClient } from './tmux.js';

/** The operator's terminal in every pipeline run: a 200×50 tmux pane. */
export const SCREEN = { cols: 200, rows: 50 };

/**
 * N flood agents and what the operator watches them in. `screen()` is what the operator sees;
 * `pids` are the processes whose CPU is metered; `outFile` receives every byte written to the
 * operator's terminal (tmux `pipe-pane`), where frames are counted.
 */
export interface Rig {
  label: string;
  agents: number;
  /** Where the agents' phase FIFOs are. */
  gateDir: string;
  pids: Record<string, number | number[]>;
  outFile: string | null;
  /** The sequence that starts one frame in `outFile`. */
  frameMarker: string;
  ctl: ControlClient;
  screen(colour?: boolean): Promise<string>;
  /** How many agents' output, as the supervisor logged it, ends with `marker` (muster only). */
  drained?(marker: string): number;
}

/** Whether the last 8 KB of a file (more than one full-screen frame) contain `marker`. */
function tailHas(file: string, marker: string): boolean {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, 8192));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('latin1').includes(marker);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

export function tempDir(cleanup: Cleanup, prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `muster-bench-${prefix}-`)));
  cleanup.defer(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The real TUI (`node bin/muster.js`, CI=false) in a 200×50 tmux pane, its agents view showing
 * the live grid of `agents` running flood agents. Returns once every pane's title bar is drawn.
 */
export async function startCockpitRig(
  cleanup: Cleanup,
  opts: { name: string; agents: number; bytes: number },
): Promise<Rig & { ids: number[]; repoDir: string }> {
  const repo = createTempRepo();
  const gateDir = join(repo.root, 'flood');
  mkdirSync(gateDir);
  const agent = writeFloodAgent(gateDir, opts.bytes);
  benchRepo(cleanup, { repo, agents: { flood: { command: 'sh', args: agent.args } }, defaultAgent: 'flood', maxWorkers: opts.agents });
  await startSupervisor(repo.dir, `${opts.name}-supervisor`);
  const ids: number[] = [];
  for (let i = 1; i <= opts.agents; i++) ids.push((await addTask(repo.dir, `agent ${i}`)).id);
  await waitRunning(repo.dir, ids);

  const cockpit = await openCockpit(cleanup, {
    name: opts.name,
    repoDir: repo.dir,
    shown: ids.map((id) => `#${id} · agent ${id}`),
    what: `the TUI's grid of ${opts.agents} panes`,
  });
  const { ctl, outFile } = cockpit;
  return {
    label: 'muster',
    agents: opts.agents,
    gateDir,
    ids,
    repoDir: repo.dir,
    pids: cockpit.pids,
    outFile,
    frameMarker: '\x1b[?2026h',
    ctl,
    screen: (colour = false) => ctl.capture('main', colour),
    drained: (marker) => ids.filter((id) => tailHas(join(repo.dir, '.git', 'muster', 'tasks', String(id), 'terminal.log'), marker)).length,
  };
}

/**
 * The real TUI (`node bin/muster.js`, CI=false) of the repository at `repoDir` in a 200×50
 * tmux pane; returns once every text of `shown` is on its screen. The TUI quits (q, d: agents
 * left running) at cleanup.
 */
export async function openCockpit(
  cleanup: Cleanup,
  opts: { name: string; repoDir: string; shown: string[]; what: string },
): Promise<{ ctl: ControlClient; outFile: string; pids: { supervisor: number[]; worker: number[]; tui: number; display: number } }> {
  const node = [process.execPath, ...profileFlags(`${opts.name}-tui`)].map((a) => `'${a}'`).join(' ');
  const display = TmuxServer.start({ cwd: opts.repoDir, command: `${node} '${BIN}'`, ...SCREEN, cleanup });
  const outFile = join(opts.repoDir, '..', 'tui-output.bin');
  display.pipeTo('main', outFile);
  const ctl = await display.control(cleanup);
  let last = '';
  await until(
    async () => {
      last = await ctl.capture('main');
      return opts.shown.every((text) => last.includes(text));
    },
    opts.what,
    30_000,
    50,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n--- last screen ---\n${last}`);
  });
  const tui = findProcess(display.panePid(), (cmd) => cmd.includes('muster.js'));
  const supervisor = daemonPid(opts.repoDir);
  if (!tui || !supervisor) throw new Error('could not find the TUI or the supervisor process');
  // Quit as an operator does (q, then d: leave the agents running), so the TUI exits cleanly
  // (and writes its CPU profile when profiling) before its tmux server goes.
  cleanup.defer('quit the TUI', async () => {
    display.cmd('send-keys', '-t', 'main', 'q');
    await sleep(300);
    display.cmd('send-keys', '-t', 'main', 'd');
    await until(() => !isAlive(tui), 'the TUI to quit', 5_000, 50).catch(() => undefined);
  });
  // The agents' PTYs and logs live in the terminal worker beside the supervisor: its CPU is the supervisor's.
  const worker = workerPid(opts.repoDir);
  const workers = worker && isAlive(worker) ? [worker] : [];
  // `worker` alone too, to show what of the supervisor's CPU the worker spends.
  return { ctl, outFile, pids: { supervisor: [supervisor, ...workers], worker: workers, tui, display: display.pid() } };
}

/**
 * The same flood agents in `agents` tmux panes (split-window, select-layout tiled) of a
 * 200×50 window. `attached`: a tmux client shows them in the operator's 200×50 pane (tmux
 * draws every pane, as muster's TUI does); otherwise the session stays detached and only
 * tmux's own emulation runs (its screens are read pane by pane).
 */
export async function startTmuxRig(cleanup: Cleanup, opts: { agents: number; bytes: number; attached: boolean }): Promise<Rig> {
  const gateDir = tempDir(cleanup, 'tmux');
  const agent = writeFloodAgent(gateDir, opts.bytes);
  const panes = TmuxServer.start({ cwd: gateDir, command: agent.shell, ...SCREEN, cleanup });
  for (let i = 1; i < opts.agents; i++) {
    panes.cmd('split-window', '-t', 'main', agent.shell);
    panes.cmd('select-layout', '-t', 'main', 'tiled');
  }
  // tmux wraps its screen updates in synchronized output when the terminal has the feature,
  // as muster's TUI does; it also makes tmux's updates countable (`ESC P = 1 s`).
  panes.cmd('set-option', '-as', 'terminal-features', '*:sync');
  const tmuxServer = panes.pid();
  if (!opts.attached) {
    const ctl = await panes.control(cleanup);
    const ids = panes.cmd('list-panes', '-t', 'main', '-F', '#{pane_id}').trim().split('\n');
    return {
      label: 'tmux (detached)',
      agents: opts.agents,
      gateDir,
      pids: { tmuxServer },
      outFile: null,
      frameMarker: '',
      ctl,
      screen: async () => (await Promise.all(ids.map((id) => ctl.capture(id)))).join('\n'),
    };
  }
  const display = TmuxServer.start({ cwd: gateDir, command: `env -u TMUX tmux -L ${panes.socket} attach -t main`, ...SCREEN, cleanup });
  const outFile = join(gateDir, 'client-output.bin');
  display.pipeTo('main', outFile);
  const ctl = await display.control(cleanup);
  await until(
    async () => {
      const s = await ctl.capture('main');
      return s.includes('│') || s.includes('─');
    },
    'the tmux client to draw the pane borders',
    10_000,
    50,
  );
  const tmuxClient = findProcess(display.panePid(), (cmd, comm) => comm.startsWith('tmux') || cmd.startsWith('tmux'));
  if (!tmuxClient) throw new Error('could not find the tmux client process');
  return {
    label: 'tmux',
    agents: opts.agents,
    gateDir,
    pids: { tmuxServer, tmuxClient, display: display.pid() },
    outFile,
    frameMarker: '\x1bP=1s',
    ctl,
    screen: (colour = false) => ctl.capture('main', colour),
  };
}
