import { join } from 'node:path';
import { judgeActivity } from '../core/activity.js';
import { getTask, updateTask } from '../core/task-queue.js';
import { showsAgentActivity } from '../core/task-states.js';
import { formatId, type Activity, type ActivityStatus, type TaskId } from '../core/task.js';
import type { ProcStat } from '../adapters/proc/proc-table.js';
import { RUN_MARKER_VAR } from '../adapters/proc/run-marker.js';
import { EMULATED_HISTORY, TaskTerminal, type ProcessExit, type RunningProcess } from '../adapters/pty/task-terminal.js';
import type { TerminalWorker } from '../adapters/worker/terminal-worker.js';
import { agentPresets } from '../config/schema.js';
import type { ProcessWarden } from './process-warden.js';
import { RemoteHosts } from './remote-hosts.js';
import type { StateCell } from './state-cell.js';
import { TerminalSizes } from './terminal-sizes.js';
import { ensureDir, pathExists } from '../adapters/fs/files.js';

interface Live {
  session: number;
  pid: number;
  /** Set when muster itself stops the process, so its exit is not taken as the agent's verdict. */
  stoppedByUs: boolean;
}

/**
 * The live side of agents: one terminal per task (kept across sessions while the supervisor
 * runs), the process in it, input, resize, and activity. State changes go through the
 * supervisor; this class only knows processes.
 */
export class AgentRuntime {
  private readonly terminals = new Map<TaskId, TaskTerminal>();
  private readonly live = new Map<TaskId, Live>();
  private readonly reported = new Map<TaskId, { status: Activity; at: number }>();
  private readonly lastInput = new Map<TaskId, number>();
  private activityTimer: NodeJS.Timeout | null = null;
  private readonly exitListeners = new Map<TaskId, Set<(exit: ProcessExit) => void>>();
  /** Which view decides each terminal's size, and where new terminals start. */
  readonly sizes = new TerminalSizes();
  /** The workers of other hosts (`hosts:`); their processes are not this machine's to watch or kill. */
  readonly remotes: RemoteHosts;
  private readonly remoteTasks = new Set<TaskId>();

  constructor(
    private readonly cell: StateCell,
    private readonly warden: ProcessWarden,
    /** Where the agents' PTYs and terminal logs live: a process of their own that outlives this supervisor. */
    readonly worker: TerminalWorker,
  ) {
    this.remotes = new RemoteHosts(cell);
  }

  terminal(id: TaskId): TaskTerminal {
    let t = this.terminals.get(id);
    if (!t) {
      const dir = join(this.cell.ctx.paths.tasksDir, String(id));
      ensureDir(dir);
      const cfg = this.cell.config.terminal;
      const { cols, rows } = this.sizes.startSize({ cols: cfg.cols, rows: cfg.rows });
      let made: TaskTerminal | null = null;
      const remote = getTask(this.cell.state, id)?.host ?? null;
      const log = { file: join(dir, 'terminal.log'), maxBytes: cfg.log_max_bytes, keep: cfg.log_keep };
      const receive = (data: string): void => made?.received(data);
      if (remote) this.remoteTasks.add(id);
      // The worker that runs the task's programs emulates its screen, this machine's or the host's
      // (its terminal and log there, under the worker's work directory).
      const scrollback = Math.min(cfg.scrollback, EMULATED_HISTORY);
      const host = remote
        ? this.remotes
            .worker(remote)
            .host(id, { ...log, file: join(this.remotes.repoKey, 'tasks', String(id), 'terminal.log') }, { cols, rows }, scrollback, receive)
        : this.worker.host(id, log, { cols, rows }, scrollback, receive);
      made = new TaskTerminal({ cols, rows, host });
      t = made;
      this.terminals.set(id, t);
    }
    // What runs in it from now on (setup commands, then the agent) belongs to the task's
    // newest session: launch asks for the terminal once the session is recorded.
    const session = getTask(this.cell.state, id)?.sessions.length ?? 0;
    // The run marker lets the warden find a run's processes on this machine; a host's are not this machine's to stop.
    t.runEnv = this.remoteTasks.has(id) ? {} : { [RUN_MARKER_VAR]: this.warden.marker(id, session) };
    // A pid on another host is not a process here: the warden must never signal it.
    t.onRun = this.remoteTasks.has(id) ? null : (proc) => this.warden.runStarted(id, proc.pid, proc.pty);
    return t;
  }

  /**
   * A task's terminal for a view. One made now for an agent that ran before this supervisor
   * started (stalled or failed, its session over) gets the last screen its log leaves, so what
   * explains the failure is still there to read.
   */
  async viewedTerminal(id: TaskId): Promise<TaskTerminal> {
    const existing = this.terminals.get(id);
    if (existing) return existing;
    const t = this.terminal(id);
    const log = join(this.cell.ctx.paths.tasksDir, String(id), 'terminal.log');
    // A host task's log is there: its worker says whether there is one.
    if (this.isRunning(id) || (!this.remoteTasks.has(id) && !pathExists(log))) return t;
    // Where the screen is emulated; only onto one nothing wrote to (a retry may have started in it).
    await t.screen.seedFromLog();
    return t;
  }

  /** What runs in the terminals now (each leads its own session in the terminal worker). */
  *leaders(): Iterable<number> {
    for (const [id, t] of this.terminals) if (t.pid && !this.remoteTasks.has(id)) yield t.pid;
  }

  existingTerminal(id: TaskId): TaskTerminal | undefined {
    return this.terminals.get(id);
  }

  /** Starts the agent process; `onExit` fires once, unless muster stopped it itself. */
  async spawn(
    id: TaskId,
    session: number,
    argv: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    onExit: (exit: ProcessExit, stoppedByUs: boolean) => void,
  ): Promise<number> {
    const term = this.terminal(id);
    // Counted as running from now: a stop while the worker starts it is muster's, not the agent's verdict.
    const live: Live = { session, pid: 0, stoppedByUs: false };
    this.live.set(id, live);
    this.reported.delete(id);
    let proc: RunningProcess;
    try {
      proc = await term.run(argv, { cwd, env, outlives: true });
    } catch (e) {
      if (this.live.get(id) === live) this.live.delete(id);
      throw e;
    }
    this.watch(id, live, proc, onExit);
    // Stopped while the worker started it (a cancel, or the supervisor stopping): there was no
    // pid to signal then, and the worker would keep it running unsupervised.
    if (live.stoppedByUs || this.cell.isStopping) await this.stop(id);
    return proc.pid;
  }

  /**
   * Takes over an agent a previous supervisor started, still running in the terminal worker:
   * its terminal shows the worker's tail of its output, then what it prints from now.
   */
  reattach(id: TaskId, session: number, proc: RunningProcess, onExit: (exit: ProcessExit, stoppedByUs: boolean) => void): void {
    const term = this.terminal(id);
    term.adopt(proc);
    const live: Live = { session, pid: proc.pid, stoppedByUs: false };
    this.live.set(id, live);
    if (this.warden.enabled && !this.remoteTasks.has(id)) this.warden.runStarted(id, proc.pid, proc.pty);
    this.watch(id, live, proc, onExit);
  }

  private watch(id: TaskId, live: Live, proc: RunningProcess, onExit: (exit: ProcessExit, stoppedByUs: boolean) => void): void {
    live.pid = proc.pid;
    const session = live.session;
    void proc.exited.then((exit) => {
      if (this.live.get(id) === live) this.live.delete(id);
      onExit(exit, live.stoppedByUs);
      for (const l of this.exitListeners.get(id) ?? []) l(exit);
      // What the agent started with setsid or nohup does not outlive its run.
      if (this.warden.enabled && !this.remoteTasks.has(id)) void this.warden.stopSession(id, session, proc.pid);
    });
    this.ensureActivityTimer();
  }

  /** Calls `listener` when the agent of `id` exits (each session); returns the unsubscribe. */
  onAgentExit(id: TaskId, listener: (exit: ProcessExit) => void): () => void {
    const set = this.exitListeners.get(id) ?? new Set();
    set.add(listener);
    this.exitListeners.set(id, set);
    return () => {
      set.delete(listener);
      if (!set.size) this.exitListeners.delete(id);
    };
  }

  isRunning(id: TaskId): boolean {
    return this.live.has(id);
  }

  liveSession(id: TaskId): number | null {
    return this.live.get(id)?.session ?? null;
  }

  /**
   * Stops a task's agent and everything its runs left: every process group of its sessions,
   * what carries its run marker, the orphans adopted from its worktree (SIGTERM, then SIGKILL
   * after the configured grace). Resolves with the processes still alive after that (none,
   * unless one cannot be killed).
   */
  async stop(id: TaskId): Promise<ProcStat[]> {
    const live = this.live.get(id);
    if (live) live.stoppedByUs = true;
    const term = this.terminals.get(id);
    const grace = this.cell.config.terminal.stop_grace_seconds * 1000;
    const task = getTask(this.cell.state, id);
    if (!this.warden.enabled || !task || this.remoteTasks.has(id)) {
      await term?.stop(grace);
      return [];
    }
    const survivors = await this.warden.stopTask(task, term?.pid ? [term.pid] : []);
    await term?.whenExited(grace + 5000);
    return survivors;
  }

  /** Stops every agent, then whatever of this repository's runs is left (the supervisor stops). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.stop(id)));
    if (this.warden.enabled) await this.warden.stopEverything(this.cell.state.tasks, this.cell.integrationPath);
  }

  write(id: TaskId, data: string): boolean {
    this.lastInput.set(id, Date.now());
    return this.terminals.get(id)?.write(data) ?? false;
  }

  report(id: TaskId, status: Activity): void {
    this.reported.set(id, { status, at: Date.now() });
    this.refreshActivity();
  }

  private ensureActivityTimer(): void {
    if (this.activityTimer) return;
    this.activityTimer = setInterval(() => this.refreshActivity(), 1000);
    this.activityTimer.unref();
  }

  /** Re-judges every running agent's activity and records the ones that changed. */
  refreshActivity(): void {
    const presets = agentPresets(this.cell.config);
    const now = Date.now();
    const changes: { id: TaskId; status: Activity; source: 'reported' | 'heuristic' | 'none' }[] = [];
    for (const task of this.cell.state.tasks) {
      const term = this.terminals.get(task.id);
      if (!term || !showsAgentActivity(task.state)) continue;
      // Worktree and setup commands come first: no agent yet is not an agent that exited.
      const session = task.sessions.at(-1);
      if (!this.live.has(task.id) && session && session.pid === null && session.endedAt === null) continue;
      const tail = term.screen.tail();
      const patterns = (presets[task.agent]?.waiting_patterns ?? []).map((p) => new RegExp(p, 'm'));
      const judged = judgeActivity({
        reported: this.reported.get(task.id) ?? null,
        running: this.live.has(task.id),
        lastOutputAt: term.lastOutputAt,
        lastInputAt: this.lastInput.get(task.id) ?? 0,
        now,
        screenTail: tail,
        waitingPatterns: patterns,
      });
      if (judged.status !== task.activity.status || judged.source !== task.activity.source) changes.push({ id: task.id, ...judged });
    }
    if (changes.length) this.recordActivity(changes);
  }

  private recordActivity(changes: { id: TaskId; status: Activity; source: ActivityStatus['source'] }[]): void {
    const cell = this.cell;
    let next = cell.state;
    const now = cell.now();
    for (const c of changes) {
      next = updateTask(next, c.id, { activity: { status: c.status, since: now, source: c.source } }, now);
      const task = getTask(next, c.id);
      if (c.status === 'waiting-input' && task)
        cell.notify({ kind: 'waiting-input', task: c.id, message: `${formatId(c.id)} ${task.title} is waiting for input` });
    }
    // Derived, judged again every second (and on restart): told to clients, not journalled.
    cell.applyDerived(next);
  }

  dispose(): void {
    if (this.activityTimer) clearInterval(this.activityTimer);
    this.worker.detach();
    this.remotes.close();
    for (const t of this.terminals.values()) t.dispose();
    this.terminals.clear();
  }
}
