import { isSameProcessAlive, processStartTime } from '../proc/process-info.js';
import type { ProcessExit, RunningProcess, TerminalHost } from '../pty/task-terminal.js';
import { WORKER_PROTOCOL, type HostedTerminal } from './messages.js';
import { connectWorker, WorkerClient, WorkerGoneError } from './worker-client.js';
import { WorkerTerminal, type TerminalLogSpec, type WorkerLink } from './worker-terminal.js';

/** What a process whose worker died is taken to have ended with: its terminal hung up. */
const HUNG_UP: ProcessExit = { exitCode: 1, signal: 1 };

/** A connection that breaks again this soon after the last reconnect means the worker is not well: it counts as gone. */
const RECONNECT_SPACING_MS = 1000;

interface Exit {
  promise: Promise<ProcessExit>;
  resolve: (e: ProcessExit) => void;
  done: boolean;
  taken: boolean;
  /** Started to end with this connection (not `outlives`): the worker hangs it up when the connection closes. */
  bound: boolean;
}

/**
 * The supervisor's side of the terminal worker: one connection (made again, with a new worker,
 * after the old one died), one TerminalHost per task. Exits are kept by pid, so one that comes
 * before the answer to its `run` is not missed.
 */
export class TerminalWorker {
  private client: WorkerClient | null = null;
  private connecting: Promise<WorkerClient> | null = null;
  private readonly exits = new Map<number, Exit>();
  private readonly terminals = new Map<number, WorkerTerminal>();
  /** Set by shutdown() and detach(): nothing connects again, nor starts a worker. */
  private closed = false;
  /** The worker's start time, to tell it from another process that got its pid. */
  private workerStart: string | null = null;
  private lastReconnect = 0;
  /** The worker's pid (0 before the first connection): its children are agents. */
  pid = 0;
  /** Told the worker's pid on each connection, and 0 when it is gone. */
  onPid: ((pid: number) => void) | null = null;

  /** How terminals reach this worker: what is sent with no connection starts one (a worker that idled out is started again). */
  private readonly link: WorkerLink = {
    current: () => (!this.closed && this.client && !this.client.isClosed ? this.client : null),
    send: (fn) => {
      if (this.closed) return;
      if (this.client && !this.client.isClosed) fn(this.client);
      else void this.connected().then(fn, () => undefined);
    },
    make: () => this.connected(),
  };

  constructor(private readonly opts: { socketPath: string; logFile: string; bin: string; cwd: string }) {}

  /**
   * Connects to a worker that is already there and returns what it hosts; none there, none is
   * started (the first program run starts one), and nothing is hosted. One of another version is
   * told to stop once its processes have and is not used.
   */
  async start(): Promise<HostedTerminal[]> {
    let client: WorkerClient;
    try {
      client = await WorkerClient.open(this.opts.socketPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') return [];
      throw e;
    }
    if (client.version !== WORKER_PROTOCOL) {
      // Another build's worker: its processes are stopped by reconcile like a dead worker's, and it exits when idle.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([client.call('shutdown', {}), new Promise((r) => (timer = setTimeout(r, 2000)))])
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(timer);
          client.close();
        });
      throw new WorkerGoneError(`the terminal worker (pid ${client.pid}) speaks version ${client.version}, not ${WORKER_PROTOCOL}`);
    }
    this.use(client);
    return client.terminals;
  }

  private use(client: WorkerClient): void {
    this.client = client;
    if (client.pid !== this.pid) this.workerStart = processStartTime(client.pid);
    this.pid = client.pid;
    this.onPid?.(client.pid);
    client.onExit((e) => this.exit(e.pid).resolve({ exitCode: e.exitCode, signal: e.signal }));
    // Reconnected: what is no longer hosted ended while no connection was there to hear of it.
    const hosted = new Set(client.terminals.map((t) => t.pid));
    for (const [pid, e] of this.exits) if (!e.done && !hosted.has(pid)) e.resolve(HUNG_UP);

    client.onClose(() => {
      if (this.client === client) this.client = null;
      if (this.client) return;
      const pid = this.pid;
      const alive = !this.closed && pid > 0 && isSameProcessAlive(pid, this.workerStart) && Date.now() - this.lastReconnect > RECONNECT_SPACING_MS;
      // Only the connection broke: the worker hangs up what was bound to it; the rest runs on and reports to the next connection.
      for (const e of this.exits.values()) if (!alive || e.bound) e.resolve(HUNG_UP);
      if (alive) {
        this.lastReconnect = Date.now();
        void this.reconnect(pid);
        return;
      }
      // The PTYs closed with it: what ran there got a hangup.
      this.exits.clear();
      this.pid = 0;
      this.onPid?.(0);
    });
    for (const t of this.terminals.values()) t.openOn(client);
  }

  /** Connects again to the worker `pid` that is still there; when that fails, it counts as gone. */
  private async reconnect(pid: number): Promise<void> {
    let client: WorkerClient | null = null;
    try {
      client = await WorkerClient.open(this.opts.socketPath);
    } catch {
      // not answering: gone, as below
    }
    if (client && !this.closed && !this.client && client.pid === pid && client.version === WORKER_PROTOCOL) {
      this.use(client);
      return;
    }
    client?.close();
    if (this.client) return;
    for (const e of this.exits.values()) e.resolve(HUNG_UP);
    this.exits.clear();
    this.pid = 0;
    this.onPid?.(0);
  }

  private async connected(): Promise<WorkerClient> {
    if (this.closed) throw new WorkerGoneError('the terminal worker was let go: the supervisor is stopping');
    if (this.client && !this.client.isClosed) return this.client;
    this.connecting ??= connectWorker(this.opts)
      .then(({ client }) => {
        if (client.version !== WORKER_PROTOCOL) {
          client.close();
          throw new WorkerGoneError(`the terminal worker of another muster version (pid ${client.pid}) is still stopping; retry in a moment`);
        }
        this.use(client);
        return client;
      })
      .finally(() => (this.connecting = null));
    return this.connecting;
  }

  private exit(pid: number): Exit {
    let e = this.exits.get(pid);
    if (!e) {
      let settle!: (x: ProcessExit) => void;
      const promise = new Promise<ProcessExit>((r) => (settle = r));
      const entry: Exit = {
        promise,
        done: false,
        taken: false,
        bound: false,
        resolve: (x) => {
          if (entry.done) return;
          entry.done = true;
          if (entry.taken && this.exits.get(pid) === entry) this.exits.delete(pid);
          // An exit that comes before its run's reply is taken within the same turn; one nobody takes
          // must not end, at once, a later process that gets the same pid.
          else
            setImmediate(() => {
              if (!entry.taken && this.exits.get(pid) === entry) this.exits.delete(pid);
            });
          settle(x);
        },
      };
      e = entry;
      this.exits.set(pid, e);
    }
    return e;
  }

  /** The exit of `pid`, for the one who started or adopted it (an exit that came first is kept until then). */
  private take(pid: number, bound = false): Promise<ProcessExit> {
    const e = this.exit(pid);
    e.taken = true;
    e.bound = bound;
    if (e.done) this.exits.delete(pid);
    return e.promise;
  }

  /** A process running in the worker (from `start`), as this connection will see its exit. */
  running(t: HostedTerminal): RunningProcess | null {
    return t.pid === null ? null : { pid: t.pid, pty: t.pty, exited: this.take(t.pid), size: { cols: t.cols, rows: t.rows } };
  }

  /**
   * The host of `task`'s terminal, whose screen (`scrollback` lines of history) the worker
   * emulates and keeps: raw output goes to `receive` only while the terminal listens.
   */
  host(task: number, log: TerminalLogSpec, size: { cols: number; rows: number }, scrollback: number, receive: (data: string) => void): TerminalHost {
    const t = new WorkerTerminal(task, log, size, scrollback, receive, this.link);
    this.terminals.set(task, t);
    const client = this.link.current();
    if (client) t.openOn(client);
    return t.host(async (argv, o) => {
      const c = await this.connected();
      const { pid, pty } = await c.call('run', { task, argv: [...argv], cwd: o.cwd, env: o.env, cols: o.cols, rows: o.rows, outlives: o.outlives });
      return { pid, pty, exited: this.take(pid, !o.outlives) };
    });
  }

  /** The supervisor stops: the worker exits once nothing runs in it. */
  async shutdown(): Promise<void> {
    this.closed = true;
    // One still starting (a launch's first note starts it, and the launch may fail at once) would idle on for a minute after the supervisor.
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    if (!c || c.isClosed) return;
    await c.call('shutdown', {}).catch(() => undefined);
    c.close();
  }

  /** Lets go of the worker without stopping anything (the supervisor is going, the agents stay). */
  detach(): void {
    this.closed = true;
    this.client?.close();
  }
}
