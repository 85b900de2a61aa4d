import { createRequire } from 'node:module';
import type * as PtyModule from 'node-pty';
import { Emulator } from './emulator.js';
import { TerminalLog } from './terminal-log.js';

const require = createRequire(import.meta.url);
const pty = require('node-pty') as typeof PtyModule;

export interface ProcessExit {
  exitCode: number;
  signal: number | null;
}

export interface RunningProcess {
  pid: number;
  exited: Promise<ProcessExit>;
}

export interface TaskTerminalOptions {
  cols: number;
  rows: number;
  scrollback: number;
  logFile: string;
  logMaxBytes: number;
  logKeep: number;
}

/**
 * One task's terminal: a headless emulator that every process of the task (setup commands,
 * then agent sessions) writes into, a bounded log of the raw bytes, and live subscribers.
 * The emulator, not the PTY stream, is what clients see: node-pty may drop the last bytes
 * of a process that exits right after a burst.
 */
export class TaskTerminal {
  readonly emulator: Emulator;
  private readonly log: TerminalLog;
  private readonly listeners = new Set<(data: string) => void>();
  private current: PtyModule.IPty | null = null;
  lastOutputAt = 0;
  cols: number;
  rows: number;

  constructor(opts: TaskTerminalOptions) {
    this.cols = opts.cols;
    this.rows = opts.rows;
    this.emulator = new Emulator(opts.cols, opts.rows, opts.scrollback);
    this.log = new TerminalLog(opts.logFile, opts.logMaxBytes, opts.logKeep);
    // Answers to terminal queries (cursor position, device attributes) go back to the program.
    this.emulator.term.onData((reply) => this.current?.write(reply));
  }

  /** Starts a program in a new PTY whose output feeds this terminal. */
  run(argv: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): RunningProcess {
    const [file, ...args] = argv;
    if (!file) throw new Error('run needs a program');
    const p = pty.spawn(file, args, {
      name: 'xterm-256color',
      cols: this.cols,
      rows: this.rows,
      cwd: opts.cwd,
      env: opts.env as Record<string, string>,
    });
    this.current = p;
    p.onData((data) => this.output(data));
    const exited = new Promise<ProcessExit>((resolve) => {
      p.onExit(({ exitCode, signal }) => {
        if (this.current === p) this.current = null;
        resolve({ exitCode, signal: signal || null });
      });
    });
    return { pid: p.pid, exited };
  }

  /** A line muster itself writes into the terminal (session banners, setup results). */
  note(text: string): void {
    this.output(`\r\n\x1b[2m── ${text} ──\x1b[0m\r\n`);
  }

  private output(data: string): void {
    this.lastOutputAt = Date.now();
    this.emulator.write(data);
    this.log.write(data);
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
    this.current.write(data);
    return true;
  }

  resize(cols: number, rows: number): void {
    const c = Math.max(2, Math.min(1000, Math.floor(cols)));
    const r = Math.max(1, Math.min(500, Math.floor(rows)));
    if (c === this.cols && r === this.rows) return;
    this.cols = c;
    this.rows = r;
    this.emulator.resize(c, r);
    try {
      this.current?.resize(c, r);
    } catch {
      // the process exited between the check and the resize
    }
  }

  subscribe(listener: (data: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    const p = this.current;
    if (!p) return;
    const gone = new Promise<void>((resolve) => p.onExit(() => resolve()));
    signal(p.pid, 'SIGTERM');
    const timer = setTimeout(() => signal(p.pid, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  dispose(): void {
    this.log.close();
    this.emulator.dispose();
    this.listeners.clear();
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  // The agent leads its own session: signal the whole process group so its children stop too.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
    } catch {
      // already gone
    }
  }
}
