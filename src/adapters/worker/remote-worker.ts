import { openSshStream, type SshOptions } from '../../client/ssh-transport.js';
import type { ProcessExit, RunningProcess, TerminalHost } from '../pty/task-terminal.js';
import { WORKER_PROTOCOL, type CallEvent, type HostedTerminal, type WorkerEvent, type WorkerMethod, type WorkerRequests } from './messages.js';
import { WorkerClient, WorkerGoneError } from './worker-client.js';
import { WorkerTerminal, type TerminalLogSpec, type WorkerLink } from './worker-terminal.js';

/** The first wait before connecting again after the host went away, doubled up to the last. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

interface Exit {
  promise: Promise<ProcessExit>;
  resolve: (e: ProcessExit) => void;
  done: boolean;
}

export interface RemoteWorkerOptions {
  /** The host's name under `hosts:`. */
  name: string;
  /** Its ssh destination. */
  ssh: string;
  /** Its work directory. */
  dir: string;
  ssh_options?: SshOptions;
}

/**
 * The supervisor's side of a worker on another host: `ssh <dest> muster worker --stdio --dir
 * <dir>`, the worker protocol over the ssh channel. When the connection drops the agents run on
 * there (the host's worker is a process of its own); this side says so (`onDown`), connects
 * again with backoff, and hears of exits that came meanwhile from what the worker kept (`onUp`).
 * The host's worker emulates its terminals' screens as the local worker does (worker-terminal.ts):
 * across ssh go the views' frames and summaries, and raw output only while something here listens;
 * after a reconnect the views are drawn again from the host's screen, so nothing is missed.
 */
export class RemoteWorker {
  private client: WorkerClient | null = null;
  private connecting: Promise<WorkerClient> | null = null;
  private readonly exits = new Map<number, Exit>();
  private readonly terminals = new Map<number, WorkerTerminal>();
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;
  /** Connect (again) even with no terminal here yet: agents of a previous supervisor are there to take over. */
  private wanted = false;
  /** Why the last connection failed or ended (for a task's reason and the logs). */
  lastError: string | null = null;
  onDown: ((why: string) => void) | null = null;
  /** Connected (again): what the host's worker runs, before exits that came meanwhile are told. */
  onUp: ((terminals: HostedTerminal[], client: WorkerClient) => Promise<void>) | null = null;
  onWork: ((e: Extract<WorkerEvent, { e: 'work' }>) => void) | null = null;
  /** An agent's call there (on the connection `client`, which answers it). */
  onCall: ((e: CallEvent, client: WorkerClient) => void) | null = null;
  /** The host's worker renews the leases of these tasks' locks (their agents run there). */
  onRenew: ((tasks: number[]) => void) | null = null;

  /**
   * How terminals reach the host: keystrokes and notes while it is away are dropped, as a
   * terminal whose line is cut drops them; a view connects unless the host is away (it is
   * drawn once the connection is back), so no view waits for ssh to give up.
   */
  private readonly link: WorkerLink = {
    current: () => this.current,
    send: (fn) => {
      const c = this.current;
      if (c) fn(c);
    },
    make: () => (!this.isConnected && this.lastError !== null ? Promise.reject(new WorkerGoneError(`host ${this.opts.name} is away`)) : this.connected()),
  };

  constructor(readonly opts: RemoteWorkerOptions) {}

  /** Whether `client` is this host's connection still (not closed, not replaced). */
  isCurrent(client: WorkerClient): boolean {
    return this.client === client && !client.isClosed;
  }

  /** The connection now, if there is one. */
  get current(): WorkerClient | null {
    return this.client && !this.client.isClosed ? this.client : null;
  }

  get isConnected(): boolean {
    return this.client !== null && !this.client.isClosed;
  }

  /** Connects now, and again with backoff until it works. */
  keepConnecting(): void {
    this.wanted = true;
    if (this.isConnected) return;
    this.connected().catch((e: unknown) => {
      this.lastError = (e as Error).message;
      this.scheduleReconnect();
    });
  }

  /** The connection, made now if there is none. */
  async connected(): Promise<WorkerClient> {
    if (this.closed) throw new WorkerGoneError(`the connection to host ${this.opts.name} was let go: the supervisor is stopping`);
    if (this.client && !this.client.isClosed) return this.client;
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<WorkerClient> {
    const stream = await openSshStream(
      { host: this.opts.ssh, path: null },
      { ...this.opts.ssh_options, interactive: false, musterArgs: ['worker', '--stdio', '--dir', this.opts.dir] },
    );
    let client: WorkerClient;
    try {
      client = await WorkerClient.over(stream);
    } catch (e) {
      stream.destroy();
      this.lastError = (e as Error).message;
      throw new WorkerGoneError(`host ${this.opts.name} (${this.opts.ssh}): ${(e as Error).message}`);
    }
    if (this.closed) {
      // Let go while ssh was connecting: an open connection would keep the stopped supervisor from exiting.
      client.close();
      throw new WorkerGoneError(`the connection to host ${this.opts.name} was let go: the supervisor is stopping`);
    }
    if (client.version !== WORKER_PROTOCOL) {
      client.close();
      throw new WorkerGoneError(
        `host ${this.opts.name}'s worker (pid ${client.pid}) speaks version ${client.version}, not ${WORKER_PROTOCOL}: install the same muster there, and stop that worker once its agents are done`,
      );
    }
    await this.use(client);
    return client;
  }

  private async use(client: WorkerClient): Promise<void> {
    this.client = client;
    this.attempt = 0;
    this.lastError = null;
    client.onExit((e) => this.exit(e.pid).resolve({ exitCode: e.exitCode, signal: e.signal }));
    client.onWork((e) => this.onWork?.(e));
    client.onCall((e) => (e.e === 'renew' ? this.onRenew?.(e.tasks) : this.onCall?.(e, client)));
    client.onClose(() => {
      if (this.client !== client) return;
      this.client = null;
      if (this.closed) return;
      this.lastError ??= 'the ssh connection ended';
      this.onDown?.(this.lastError);
      this.scheduleReconnect();
    });
    for (const t of this.terminals.values()) t.openOn(client);
    await this.onUp?.(client.terminals, client);
    // Exits that came while no connection was there to hear them, from what the worker kept.
    const byPid = new Map(client.terminals.map((t) => [t.pid, t]));
    for (const [pid, e] of this.exits) {
      if (e.done || byPid.has(pid)) continue;
      const ended = client.terminals.find((t) => t.lastExit?.pid === pid)?.lastExit;
      e.resolve(ended ? { exitCode: ended.exitCode, signal: ended.signal } : { exitCode: 1, signal: 1 });
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry || (!this.terminals.size && !this.wanted)) return;
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!;
    this.attempt++;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connected().catch((e: unknown) => {
        this.lastError = (e as Error).message;
        this.scheduleReconnect();
      });
    }, wait);
    this.retry.unref();
  }

  private exit(pid: number): Exit {
    let e = this.exits.get(pid);
    if (!e) {
      let settle!: (x: ProcessExit) => void;
      const entry: Exit = {
        promise: new Promise<ProcessExit>((r) => (settle = r)),
        done: false,
        resolve: (x) => {
          if (entry.done) return;
          entry.done = true;
          settle(x);
        },
      };
      e = entry;
      this.exits.set(pid, e);
    }
    return e;
  }

  call<M extends WorkerMethod>(m: M, p: WorkerRequests[M]['params']): Promise<WorkerRequests[M]['result']> {
    return this.connected().then((c) => c.call(m, p));
  }

  /** A program already running there (after a supervisor restart), as this side will see its exit. */
  running(t: HostedTerminal): RunningProcess | null {
    return t.pid === null ? null : { pid: t.pid, pty: t.pty, exited: this.exit(t.pid).promise, size: { cols: t.cols, rows: t.rows } };
  }

  /**
   * The host of `task`'s terminal there, whose screen (`scrollback` lines of history) the
   * host's worker emulates and keeps: raw output comes to `receive` only while the terminal listens.
   */
  host(task: number, log: TerminalLogSpec, size: { cols: number; rows: number }, scrollback: number, receive: (data: string) => void): TerminalHost {
    const t = new WorkerTerminal(task, log, size, scrollback, receive, this.link);
    this.terminals.set(task, t);
    const client = this.current;
    if (client) t.openOn(client);
    return t.host(async (argv, o) => {
      const c = await this.connected();
      const { pid, pty } = await c.call('run', { task, argv: [...argv], cwd: o.cwd, env: o.env, cols: o.cols, rows: o.rows, outlives: true });
      return { pid, pty, exited: this.exit(pid).promise };
    });
  }

  /** Lets go of the host without stopping anything there. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.client?.close();
  }
}
