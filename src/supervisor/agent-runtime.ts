import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { judgeActivity } from '../core/activity.js';
import type { Activity, TaskId } from '../core/task.js';
import { TaskTerminal, type ProcessExit } from '../adapters/pty/task-terminal.js';
import { agentPresets } from '../config/schema.js';
import type { Supervisor } from './supervisor.js';

/** Default size of an agent terminal before any client shows it. */
export const DEFAULT_COLS = 120;
export const DEFAULT_ROWS = 32;

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

  constructor(private readonly sup: Supervisor) {}

  terminal(id: TaskId): TaskTerminal {
    let t = this.terminals.get(id);
    if (!t) {
      const dir = join(this.sup.ctx.paths.tasksDir, String(id));
      mkdirSync(dir, { recursive: true });
      const cfg = this.sup.config.terminal;
      t = new TaskTerminal({ cols: DEFAULT_COLS, rows: DEFAULT_ROWS, scrollback: cfg.scrollback, logFile: join(dir, 'terminal.log'), logMaxBytes: cfg.log_max_bytes, logKeep: cfg.log_keep });
      this.terminals.set(id, t);
    }
    return t;
  }

  existingTerminal(id: TaskId): TaskTerminal | undefined {
    return this.terminals.get(id);
  }

  /** Starts the agent process; `onExit` fires once, unless muster stopped it itself. */
  spawn(id: TaskId, session: number, argv: string[], cwd: string, env: NodeJS.ProcessEnv, onExit: (exit: ProcessExit, stoppedByUs: boolean) => void): number {
    const term = this.terminal(id);
    const proc = term.run(argv, { cwd, env });
    const live: Live = { session, pid: proc.pid, stoppedByUs: false };
    this.live.set(id, live);
    this.reported.delete(id);
    void proc.exited.then((exit) => {
      if (this.live.get(id) === live) this.live.delete(id);
      onExit(exit, live.stoppedByUs);
    });
    this.ensureActivityTimer();
    return proc.pid;
  }

  isRunning(id: TaskId): boolean {
    return this.live.has(id);
  }

  liveSession(id: TaskId): number | null {
    return this.live.get(id)?.session ?? null;
  }

  /** Stops a task's agent (SIGTERM, then SIGKILL after the configured grace). */
  async stop(id: TaskId): Promise<void> {
    const live = this.live.get(id);
    if (live) live.stoppedByUs = true;
    await this.terminals.get(id)?.stop(this.sup.config.terminal.stop_grace_seconds * 1000);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.stop(id)));
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
    const presets = agentPresets(this.sup.config);
    const now = Date.now();
    const changes: { id: TaskId; status: Activity; source: 'reported' | 'heuristic' | 'none' }[] = [];
    for (const task of this.sup.state.tasks) {
      const term = this.terminals.get(task.id);
      if (!term || !['running', 'review'].includes(task.state)) continue;
      const tail = term.emulator
        .screenLines()
        .filter((l) => l.trim())
        .slice(-3);
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
    if (changes.length) this.sup.recordActivity(changes);
  }

  dispose(): void {
    if (this.activityTimer) clearInterval(this.activityTimer);
    for (const t of this.terminals.values()) t.dispose();
    this.terminals.clear();
  }
}
