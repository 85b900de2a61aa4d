import { isSameProcessAlive, processStartTime } from '../proc/process-info.js';
import type { ProcessExit, RunningProcess, TerminalHost, TerminalScreen } from '../pty/task-terminal.js';
import type { RowFrameView, ScreenFrameView } from '../../protocol/shapes.js';
import { WORKER_PROTOCOL, type HostedTerminal, type ScreenSummary, type ViewSpec } from './messages.js';
import { connectWorker, WorkerClient, WorkerGoneError } from './worker-client.js';

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

interface Receiver {
  receive: (data: string) => void;
  log: TerminalLogSpec;
  cols: number;
  rows: number;
  scrollback: number;
  /** Whether something here reads the raw output. */
  listening: boolean;
  /** The worker's last summary of the screen, and when output last came by it (0: never). */
  tail: string[];
  lastOutputAt: number;
  /** Opened on a worker before. */
  opened: boolean;
  /** The views open on the screen, made again on a new connection. */
  views: Map<number, { spec: ViewSpec; send: (frame: RowFrameView | ScreenFrameView) => void }>;
}

export interface TerminalLogSpec {
  file: string;
  maxBytes: number;
  keep: number;
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
  private readonly receivers = new Map<number, Receiver>();
  private views = 0;
  /** Set by shutdown() and detach(): nothing connects again, nor starts a worker. */
  private closed = false;
  /** The worker's start time, to tell it from another process that got its pid. */
  private workerStart: string | null = null;
  private lastReconnect = 0;
  /** The worker's pid (0 before the first connection): its children are agents. */
  pid = 0;
  /** Told the worker's pid on each connection, and 0 when it is gone. */
  onPid: ((pid: number) => void) | null = null;

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
    for (const [task, r] of this.receivers) this.openOn(client, task, r);
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

  private openOn(client: WorkerClient, task: number, r: Receiver): void {
    const summary = (sum: ScreenSummary): void => {
      r.tail = sum.tail;
      r.lastOutputAt = sum.ago === null ? 0 : Date.now() - sum.ago;
    };
    // The watch's answer is taken after the events that came in the same read: a summary sent
    // after it must not be overwritten by it.
    let later = false;
    client.onOutput(task, (data) => r.receive(data));
    client.onScreen(task, (e) => {
      if (e.e !== 'seen') return r.views.get(e.view)?.send(e.frame);
      later = true;
      summary(e);
    });
    // The worker emulates the screen (and keeps it across supervisors): only what is asked of it comes here.
    client.send('open', { task, logFile: r.log.file, logMaxBytes: r.log.maxBytes, logKeep: r.log.keep, cols: r.cols, rows: r.rows, scrollback: r.scrollback });
    // A new worker after the last one died: the screen it had is gone, the log's last screen stands in for it.
    if (r.opened && !client.terminals.some((t) => t.task === task)) client.send('seed', { task });
    r.opened = true;
    client.call('watch', { task }).then(
      (sum) => void (later || summary(sum)),
      () => undefined,
    );
    if (r.listening) client.send('listen', { task, on: true });
    for (const [id, v] of r.views) client.send('view', { task, id, ...v.spec });
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
    const r: Receiver = { receive, log, ...size, scrollback, listening: false, opened: false, tail: [], lastOutputAt: 0, views: new Map() };
    this.receivers.set(task, r);
    if (this.client && !this.client.isClosed) this.openOn(this.client, task, r);
    const send = (fn: (c: WorkerClient) => void): void => {
      if (this.closed) return;
      if (this.client && !this.client.isClosed) fn(this.client);
      else void this.connected().then(fn, () => undefined);
    };
    return {
      run: async (argv, o) => {
        r.cols = o.cols;
        r.rows = o.rows;
        const client = await this.connected();
        const { pid, pty } = await client.call('run', { task, argv: [...argv], cwd: o.cwd, env: o.env, cols: o.cols, rows: o.rows, outlives: o.outlives });
        return { pid, pty, exited: this.take(pid, !o.outlives) };
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
        if (!this.client || this.client.isClosed) return;
        await this.client.call('drain', { task }).catch(() => undefined);
      },
      listen: (on) => {
        r.listening = on;
        send((c) => c.send('listen', { task, on }));
      },
      screen: this.screen(task, r),
    };
  }

  /** The screen the worker emulates for `task`, as the supervisor asks things of it. */
  private screen(task: number, r: Receiver): TerminalScreen {
    // Asked of a worker that is gone (or of none yet): there is nothing to wait for, and nothing
    // to start one for (a screen is made by a launch); the answer is `otherwise`, at once.
    const ask = async <T>(fn: (c: WorkerClient) => Promise<T>, otherwise: T): Promise<T> => {
      const c = this.client;
      if (this.closed || !c || c.isClosed) return otherwise;
      try {
        return await fn(c);
      } catch {
        return otherwise;
      }
    };
    // A view, and the log's last screen under it, need a screen: the one way besides a launch to
    // start a worker (an exited agent's last screen, after the worker idled out, is shown from it).
    const make = async <T>(fn: (c: WorkerClient) => Promise<T>, otherwise: T): Promise<T> => {
      if (this.closed) return otherwise;
      try {
        return await fn(await this.connected());
      } catch {
        return otherwise;
      }
    };
    return {
      get lastOutputAt() {
        return r.lastOutputAt;
      },
      tail: () => r.tail,
      settle: () => ask((c) => c.call('settle', { task }).then(() => undefined), undefined),
      view: async (spec, send) => {
        const id = ++this.views;
        const v = { spec, send };
        r.views.set(id, v);
        await make((c) => c.call('view', { task, id, ...spec }), {});
        return {
          update: async (next) => {
            v.spec = next;
            await ask((c) => c.call('view', { task, id, ...next }), {});
          },
          echo: () => {
            if (this.client && !this.client.isClosed) this.client.send('echo', { task, id });
          },
          close: () => {
            if (!r.views.delete(id)) return;
            if (this.client && !this.client.isClosed) this.client.send('unview', { task, id });
          },
        };
      },
      history: (color) => ask((c) => c.call('history', { task, color }), { width: r.cols, recent: [], own: [] }),
      seedFromLog: () => make((c) => c.call('seed', { task }).then(() => undefined), undefined),
      dispose: () => r.views.clear(),
    };
  }

  /** The supervisor stops: the worker exits once nothing runs in it. */
  async shutdown(): Promise<void> {
    this.closed = true;
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
