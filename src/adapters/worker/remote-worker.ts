import { openSshStream, type SshOptions } from '../../client/ssh-transport.js';
import type { ProcessExit, RunningProcess, TerminalHost } from '../pty/task-terminal.js';
import { WORKER_PROTOCOL, type CallEvent, type HostedTerminal, type WorkerEvent, type WorkerMethod, type WorkerRequests } from './messages.js';
import { WorkerClient, WorkerGoneError } from './worker-client.js';

/** The first wait before connecting again after the host went away, doubled up to the last. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

interface Receiver {
  receive: (data: string) => void;
  seed: (tail: string) => void;
  log: { file: string; maxBytes: number; keep: number };
  cols: number;
  rows: number;
  /** Characters of output this supervisor has had, so a reconnect takes exactly what it missed. */
  seen: number;
}

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
 * again with backoff, takes the output it missed from the worker's tail, and hears of exits
 * that came meanwhile from what the worker kept (`onUp`).
 */
export class RemoteWorker {
  private client: WorkerClient | null = null;
  private connecting: Promise<WorkerClient> | null = null;
  private readonly exits = new Map<number, Exit>();
  private readonly receivers = new Map<number, Receiver>();
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
    if (client.version !== WORKER_PROTOCOL) {
      client.close();
      throw new WorkerGoneError(
        `host ${this.opts.name} runs a muster whose worker speaks version ${client.version}, not ${WORKER_PROTOCOL}: install the same muster there`,
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
    for (const [task, r] of this.receivers) this.openOn(client, task, r);
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
    if (this.closed || this.retry || (!this.receivers.size && !this.wanted)) return;
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

  private openOn(client: WorkerClient, task: number, r: Receiver): void {
    let held: string[] | null = [];
    const take = (data: string): void => {
      r.seen += data.length;
      r.receive(data);
    };
    const release = (): void => {
      const data = held ?? [];
      held = null;
      for (const d of data) take(d);
    };
    client.onOutput(task, (data) => (held ? held.push(data) : take(data)));
    client.send('open', { task, logFile: r.log.file, logMaxBytes: r.log.maxBytes, logKeep: r.log.keep, cols: r.cols, rows: r.rows });
    client.call('attach', { task }).then(
      ({ tail, total }) => {
        try {
          // What came while the connection was down: the end of the tail this side has not had.
          const missed = total === undefined ? 0 : total - r.seen;
          if (r.seen === 0) {
            r.seen = total ?? tail.length;
            r.seed(tail);
          } else if (missed > 0) take(tail.slice(Math.max(0, tail.length - missed)));
        } finally {
          release();
        }
      },
      () => release(),
    );
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

  /** The host of `task`'s terminal there: output to `receive`; `seed` gets the worker's tail of what came before. */
  host(task: number, log: Receiver['log'], size: { cols: number; rows: number }, receive: (data: string) => void, seed: (tail: string) => void): TerminalHost {
    const r: Receiver = { receive, seed, log, ...size, seen: 0 };
    this.receivers.set(task, r);
    if (this.client && !this.client.isClosed) this.openOn(this.client, task, r);
    // Keystrokes and notes while the host is away are dropped, as a terminal whose line is cut drops them.
    const send = (fn: (c: WorkerClient) => void): void => {
      if (this.client && !this.client.isClosed) fn(this.client);
    };
    return {
      run: async (argv, o) => {
        r.cols = o.cols;
        r.rows = o.rows;
        const client = await this.connected();
        const { pid, pty } = await client.call('run', { task, argv: [...argv], cwd: o.cwd, env: o.env, cols: o.cols, rows: o.rows, outlives: true });
        return { pid, pty, exited: this.exit(pid).promise };
      },
      write: (data) => send((c) => c.send('write', { task, data })),
      resize: (cols, rows) => {
        r.cols = cols;
        r.rows = rows;
        send((c) => c.send('resize', { task, cols, rows }));
      },
      output: (data) => send((c) => c.send('output', { task, data })),
      signal: (signal) => send((c) => c.send('signal', { task, signal })),
      drain: async () => {
        if (this.client && !this.client.isClosed) await this.client.call('drain', { task }).catch(() => undefined);
      },
    };
  }

  /** Lets go of the host without stopping anything there. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.client?.close();
  }
}
