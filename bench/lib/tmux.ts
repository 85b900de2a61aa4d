import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { testEnv } from '../../test/helpers/cli.js';
import type { Cleanup } from './cleanup.js';

let counter = 0;

/** The environment of a private tmux server: no MUSTER_*, no outer tmux, colour on, Ink live. */
export function paneEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = testEnv({ CI: 'false', ...extra });
  for (const k of ['TMUX', 'TMUX_PANE', 'NO_COLOR', 'FORCE_COLOR']) if (!(k in extra)) delete env[k];
  return env;
}

/**
 * A private tmux server (`tmux -L <unique> -f /dev/null`) with one session `main` of a fixed
 * size running `command`; no status line, so the whole window is the program's.
 */
export class TmuxServer {
  private constructor(readonly socket: string) {}

  static start(opts: {
    cwd: string;
    command: string;
    cols: number;
    rows: number;
    cleanup: Cleanup;
    env?: Record<string, string>;
    historyLimit?: number;
    newWindows?: boolean;
  }): TmuxServer {
    const socket = `muster-bench-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
    const server = new TmuxServer(socket);
    opts.cleanup.defer(`kill tmux server ${socket}`, () => server.kill());
    // history-limit applies to panes created after it is set: set it before the first one.
    const pre = opts.historyLimit !== undefined ? ['set-option', '-g', 'history-limit', String(opts.historyLimit), ';'] : [];
    execFileSync(
      'tmux',
      [
        '-L',
        socket,
        '-f',
        '/dev/null',
        'start-server',
        ';',
        ...pre,
        'new-session',
        '-d',
        '-s',
        'main',
        '-x',
        String(opts.cols),
        '-y',
        String(opts.rows),
        '-c',
        opts.cwd,
        opts.command,
      ],
      {
        env: paneEnv(opts.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Keeps the size whatever clients come and go; but tmux 3.3a crashes on new-window with
    // it, so servers that open windows keep the default (`latest`) and the session's size.
    if (!opts.newWindows) server.cmd('set-option', '-g', 'window-size', 'manual');
    server.cmd('set-option', '-g', 'status', 'off');
    return server;
  }

  cmd(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A tmux format for a target (`#{pane_pid}`). */
  format(target: string, fmt: string): string {
    return this.cmd('display-message', '-p', '-t', target, fmt).trim();
  }

  /** The server process. */
  pid(): number {
    return Number(this.format('main', '#{pid}'));
  }

  /** The pid of the process a pane runs (its command, or the shell that runs it). */
  panePid(target = 'main'): number {
    return Number(this.format(target, '#{pane_pid}'));
  }

  /** Every byte the program in `target` writes is appended to `file` (`pipe-pane -o`). */
  pipeTo(target: string, file: string): void {
    this.cmd('pipe-pane', '-t', target, '-o', `cat >> '${file}'`);
  }

  /** A control-mode client for fast captures and keys, without spawning tmux each time. */
  async control(cleanup: Cleanup): Promise<ControlClient> {
    const c = await ControlClient.attach(this.socket);
    cleanup.defer(`close tmux control client ${this.socket}`, () => c.close());
    return c;
  }

  kill(): void {
    try {
      this.cmd('kill-server');
    } catch {
      // already gone
    }
    // tmux does not always remove its socket file when killed.
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
  }
}

type Pending = { resolve: (lines: string[]) => void; reject: (e: Error) => void };

/**
 * `tmux -C attach`: commands go in on stdin, replies come back framed by `%begin`/`%end`,
 * in order. Polling the screen this way costs a few hundred microseconds of the server's time
 * instead of a process spawn, which matters when the machine is saturated by agents.
 */
export class ControlClient {
  private pending: Pending[] = [];
  private block: string[] | null = null;
  private blockOwn = false;
  private buffer = '';
  private ready: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let markReady: () => void = () => undefined;
    this.ready = new Promise((r) => (markReady = r));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.onLine(line, markReady);
      }
    });
    child.on('exit', () => {
      for (const p of this.pending) p.reject(new Error('tmux control client exited'));
      this.pending = [];
    });
  }

  static async attach(socket: string): Promise<ControlClient> {
    const child = spawn('tmux', ['-L', socket, '-C', 'attach', '-t', 'main'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: paneEnv(),
    }) as ChildProcessWithoutNullStreams;
    const c = new ControlClient(child);
    await c.ready;
    // Pane output notifications would make tmux copy every agent byte to us too.
    await c.run('refresh-client -f no-output');
    return c;
  }

  private onLine(line: string, markReady: () => void): void {
    if (this.block === null) {
      const m = /^%begin \d+ \d+ (\d+)$/.exec(line);
      if (m) {
        this.block = [];
        this.blockOwn = m[1] === '1';
      } else if (line.startsWith('%session-changed')) {
        markReady();
      }
      return;
    }
    const end = /^%(end|error) \d+ \d+ \d+$/.exec(line);
    if (!end) {
      this.block.push(line);
      return;
    }
    const lines = this.block;
    const own = this.blockOwn;
    this.block = null;
    if (!own) return;
    const p = this.pending.shift();
    if (!p) return;
    if (end[1] === 'error') p.reject(new Error(`tmux: ${lines.join(' ')}`));
    else p.resolve(lines);
  }

  /** One tmux command line; resolves with its output lines. */
  run(command: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${command}\n`);
    });
  }

  /** The visible screen of `target`; `colour` keeps SGR sequences (`-e`). */
  async capture(target = 'main', colour = false): Promise<string> {
    return (await this.run(`capture-pane -p ${colour ? '-e ' : ''}-t ${target}`)).join('\n');
  }

  /** Sends keys by tmux name; resolves once the server has queued them for the pane. */
  sendKeys(target: string, ...keys: string[]): Promise<string[]> {
    return this.run(`send-keys -t ${target} ${keys.join(' ')}`);
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
