import type { RowFrameView, ScreenFrameView } from '../../protocol/shapes.js';
import type { ScreenHistory, ViewSpec } from '../worker/messages.js';

/**
 * Lines of history the emulator keeps (with their colours); the scrollback view and `muster
 * log` read everything older from the terminal log, so the configured scrollback is not held
 * in memory as emulator cells (10,000 lines of them were 15 MB an agent).
 */
export const EMULATED_HISTORY = 1000;

export interface ProcessExit {
  exitCode: number;
  signal: number | null;
}

export interface RunningProcess {
  pid: number;
  /** Its terminal's device (`/dev/pts/N`), when node-pty says. */
  pty: string | null;
  exited: Promise<ProcessExit>;
  /** The size its terminal has, for one started by an earlier supervisor (a new one's is the terminal's own). */
  size?: { cols: number; rows: number };
}

/** A view of a terminal's screen: frames of changed rows to whoever asked for it. */
export interface ScreenView {
  /** A new size or options: the next frame is a full one. */
  update(spec: ViewSpec): Promise<void>;
  /** The operator typed into it: the echo is drawn at once. */
  echo(): void;
  close(): void;
}

/** Where a terminal's output is parsed into a screen, and what is asked of that screen. */
export interface TerminalScreen {
  /** When output last came, as far as known here (0: never). */
  readonly lastOutputAt: number;
  /** The last non-empty lines of the screen, for the activity judgement. */
  tail(): string[];
  /** Resolves once the output so far is parsed and the views' frames of it are sent. */
  settle(): Promise<void>;
  /** Draws the screen for a view; resolves once the output so far is parsed (the first frame shows all of it). */
  view(spec: ViewSpec, send: (frame: RowFrameView | ScreenFrameView) => void): Promise<ScreenView>;
  /** The emulator's history and screen, for the scrollback reader. */
  history(color: boolean): Promise<ScreenHistory>;
  /** Puts the last screen the terminal's log leaves onto a screen nothing was written to. */
  seedFromLog(): Promise<void>;
  dispose(): void;
}

/**
 * Where a terminal's processes run, its log is written and its output is emulated (a terminal
 * worker, this machine's or another host's): raw output (`TaskTerminal.received`) comes only
 * while someone `listen`s.
 */
export interface TerminalHost {
  /** `outlives`: the program goes on if the supervisor dies (an agent); else it gets a hangup then (a setup command). */
  run(argv: readonly string[], opts: { cwd: string; env: Record<string, string>; cols: number; rows: number; outlives: boolean }): Promise<RunningProcess>;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Output muster itself adds: logged, and streamed back like the program's. */
  output(data: string): void;
  signal(sig: NodeJS.Signals): void;
  drain(): Promise<void>;
  screen: TerminalScreen;
  /** Raw output from now on (true) or no more (false): only while something here reads the bytes. */
  listen(on: boolean): void;
}

export interface TaskTerminalOptions {
  cols: number;
  rows: number;
  host: TerminalHost;
}

/**
 * One task's terminal: a screen that every process of the task (setup commands, then agent
 * sessions) writes into, emulated where its host is (the terminal worker beside the PTY, on
 * this machine or another), a bounded log of the raw bytes, and live subscribers. The
 * emulator, not the PTY stream, is what clients see: node-pty may drop the last bytes of a
 * process that exits right after a burst.
 */
export class TaskTerminal {
  readonly screen: TerminalScreen;
  private readonly host: TerminalHost;
  private readonly listeners = new Set<(data: string) => void>();
  private current: RunningProcess | null = null;
  /**
   * Added to the environment of every process run here (muster's run marker), so that what
   * they leave behind can be found and stopped with them.
   */
  runEnv: Record<string, string> = {};
  /** Told of every process started here, as soon as it is. */
  onRun: ((proc: RunningProcess) => void) | null = null;
  cols: number;
  rows: number;

  constructor(opts: TaskTerminalOptions) {
    this.cols = opts.cols;
    this.rows = opts.rows;
    this.host = opts.host;
    this.screen = opts.host.screen;
  }

  /** When output last came (0: never). */
  get lastOutputAt(): number {
    return this.screen.lastOutputAt;
  }

  /**
   * Starts a program in a new PTY whose output feeds this terminal. node-pty's forkpty makes
   * it the leader of a session and process group of its own (pid = sid = pgid).
   */
  async run(argv: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; outlives?: boolean }): Promise<RunningProcess> {
    if (!argv[0]) throw new Error('run needs a program');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...opts.env, ...this.runEnv })) if (v !== undefined) env[k] = v;
    const proc = await this.host.run(argv, { cwd: opts.cwd, env, cols: this.cols, rows: this.rows, outlives: opts.outlives ?? false });
    this.adopt(proc);
    this.onRun?.(proc);
    return proc;
  }

  /** A process already running here (started for an earlier supervisor), from now on this terminal's. */
  adopt(proc: RunningProcess): void {
    this.current = proc;
    // Sized by the views of the supervisor that started it: this one's default is not what the agent drew for.
    if (proc.size) this.resize(proc.size.cols, proc.size.rows);
    void proc.exited.then(() => {
      if (this.current === proc) this.current = null;
    });
  }

  /** Resolves when the process running now (if any) has exited, or after `ms`. */
  async whenExited(ms: number): Promise<void> {
    const exited = this.current?.exited;
    if (!exited) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  /** A line muster itself writes into the terminal (session banners, setup results). */
  note(text: string): void {
    this.host.output(`\r\n\x1b[2m── ${text} ──\x1b[0m\r\n`);
  }

  /** Output of the terminal, as the host streams it while listened to (the programs' and muster's notes). */
  received(data: string): void {
    for (const l of this.listeners) l(data);
  }

  get running(): boolean {
    return this.current !== null;
  }

  get pid(): number | null {
    return this.current?.pid ?? null;
  }

  write(data: string): boolean {
    if (!this.current) return false;
    this.host.write(data);
    return true;
  }

  resize(cols: number, rows: number): void {
    const c = Math.max(2, Math.min(1000, Math.floor(cols)));
    const r = Math.max(1, Math.min(500, Math.floor(rows)));
    if (c === this.cols && r === this.rows) return;
    this.cols = c;
    this.rows = r;
    this.host.resize(c, r);
  }

  /** Resolves once everything written so far is in the terminal log on disk. */
  drainLog(): Promise<void> {
    return this.host.drain();
  }

  /** The raw output from now on (the host sends it only while someone here reads it). */
  subscribe(listener: (data: string) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.host.listen(true);
    return () => {
      if (this.listeners.delete(listener) && !this.listeners.size) this.host.listen(false);
    };
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    const p = this.current;
    if (!p) return;
    this.host.signal('SIGTERM');
    const timer = setTimeout(() => this.host.signal('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }

  dispose(): void {
    this.screen.dispose();
    this.listeners.clear();
  }
}
