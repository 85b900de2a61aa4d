import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { encode, readLines } from '../../protocol/ndjson.js';
import { prepareSocketDir } from '../../paths/muster-paths.js';
import { trackChild, untrackChild } from '../proc/orphans.js';
import type { HostedTerminal, WorkerEvent, WorkerMethod, WorkerReply, WorkerRequests } from './messages.js';

/** What an emulating worker tells of a terminal's screen. */
export type ScreenEvent = Extract<WorkerEvent, { e: 'seen' | 'frame' }>;

/** How long a worker may take to accept a connection and say hello before it counts as gone. */
const OPEN_TIMEOUT_MS = 5000;

/**
 * Node options of the terminal worker. Its garbage is the agents' output on its way to the log
 * and the emulators, dead within a batch: a small young generation collects it as cheaply, and
 * does not stay grown by a flood (V8's default let it reach 16 MB a semi-space, most of the
 * worker's memory beyond Node's own).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** Why a call to the worker failed: it is gone, or it refused. */
export class WorkerGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerGoneError';
  }
}

/** The supervisor's connection to its terminal worker. */
export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private readonly outputs = new Map<number, (data: string) => void>();
  private readonly screens = new Map<number, (e: ScreenEvent) => void>();
  private readonly exitListeners = new Set<(e: Extract<WorkerEvent, { e: 'exit' }>) => void>();
  /**
   * Exits that came before anyone listened: one can follow the hello in the same read, before
   * the caller took the connection, and the hello still listed that process as running.
   */
  private unheardExits: Extract<WorkerEvent, { e: 'exit' }>[] = [];
  private readonly workListeners = new Set<(e: Extract<WorkerEvent, { e: 'work' }>) => void>();
  private readonly closeListeners = new Set<() => void>();
  private readonly callListeners = new Set<(e: Extract<WorkerEvent, { e: `call-${string}` | 'renew' }>) => void>();
  private closed = false;
  /** What is to be written at the end of this turn. */
  private outgoing = '';
  /** The worker's process id. */
  pid = 0;
  /** Its protocol version (messages.ts). */
  version = 0;
  /** What it hosted when this connection opened. */
  terminals: HostedTerminal[] = [];

  private constructor(private readonly socket: Duplex) {}

  /**
   * Connects to the worker on `socketPath`; rejects when none answers there, and with a
   * WorkerGoneError when it does not say hello within `timeoutMs` (a stopped or wedged worker).
   */
  static async open(socketPath: string, timeoutMs = OPEN_TIMEOUT_MS): Promise<WorkerClient> {
    let timer: NodeJS.Timeout | undefined;
    let socket: Socket | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        socket?.destroy();
        reject(new WorkerGoneError(`the terminal worker on ${socketPath} did not answer within ${timeoutMs} ms; stop it (see worker.pid) and retry`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([WorkerClient.handshake(socketPath, (s) => (socket = s)), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private static async handshake(socketPath: string, opened: (s: Socket) => void): Promise<WorkerClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(socketPath);
      opened(s);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    return WorkerClient.over(socket);
  }

  /**
   * Speaks to a worker over any stream: its Unix socket here, or the stdio of `ssh host muster
   * worker --stdio` for a worker on another host. Resolves once it said hello.
   */
  static async over(socket: Duplex): Promise<WorkerClient> {
    socket.setEncoding('utf8');
    const client = new WorkerClient(socket);
    readLines(socket, (line) => client.onLine(line));
    let why: Error | null = null;
    socket.on('error', (e: Error) => {
      why = e;
      socket.destroy();
    });
    socket.on('close', () => client.gone(why));
    const hello = await client.call('hello', {});
    client.pid = hello.pid;
    client.version = hello.version;
    client.terminals = hello.terminals;
    return client;
  }

  call<M extends WorkerMethod>(m: M, p: WorkerRequests[M]['params']): Promise<WorkerRequests[M]['result']> {
    if (this.closed) return Promise.reject(new WorkerGoneError('the terminal worker is gone'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.write(encode({ id, m, p }));
    });
  }

  /** Sends without an answer (keystrokes, resizes): the worker does not reply; their order with calls is kept. */
  send<M extends WorkerMethod>(m: M, p: WorkerRequests[M]['params']): void {
    if (!this.closed) this.write(encode({ m, p }));
  }

  /**
   * Lines written in one turn go out as one write: a keystroke's echo and the keystroke are one
   * packet over ssh, not two (the second of which would wait for the first's acknowledgement).
   */
  private write(line: string): void {
    if (!this.outgoing) {
      this.outgoing = line;
      process.nextTick(() => this.flush());
    } else this.outgoing += line;
  }

  private flush(): void {
    const lines = this.outgoing;
    this.outgoing = '';
    if (lines && !this.closed) this.socket.write(lines);
  }

  /** Calls `ready` once what was sent has room on the connection (at once unless it is over its mark; also when it closes). */
  whenWritable(ready: () => void): void {
    if (this.closed || !this.socket.writableNeedDrain) return ready();
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      this.socket.off('drain', once);
      this.socket.off('close', once);
      ready();
    };
    this.socket.once('drain', once);
    this.socket.once('close', once);
  }

  /** Where the raw output of `task`'s terminal goes while this connection listens to it. */
  onOutput(task: number, listener: (data: string) => void): void {
    this.outputs.set(task, listener);
  }

  /** Where the screen summaries and view frames of `task`'s terminal go (an emulating worker). */
  onScreen(task: number, listener: (e: ScreenEvent) => void): void {
    this.screens.set(task, listener);
  }

  onExit(listener: (e: Extract<WorkerEvent, { e: 'exit' }>) => void): void {
    this.exitListeners.add(listener);
    const unheard = this.unheardExits;
    this.unheardExits = [];
    for (const e of unheard) guarded(() => listener(e));
  }

  /** New work snapshotted on another host. */
  onWork(listener: (e: Extract<WorkerEvent, { e: 'work' }>) => void): void {
    this.workListeners.add(listener);
  }

  /** On another host: its agents' calls, and the renewals of its tasks' leases. */
  onCall(listener: (e: Extract<WorkerEvent, { e: `call-${string}` | 'renew' }>) => void): void {
    this.callListeners.add(listener);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.add(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.flush();
    this.socket.destroy();
  }

  /** A malformed line throws (and drops the connection); a listener that throws does not. */
  private onLine(line: string): void {
    const msg = JSON.parse(line) as WorkerReply | WorkerEvent;
    if ('id' in msg) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.r);
      else p?.reject(new Error(msg.err));
    } else if (msg.e === 'out') {
      const l = this.outputs.get(msg.task);
      if (l) guarded(() => l(msg.data));
    } else if (msg.e === 'seen' || msg.e === 'frame') {
      const l = this.screens.get(msg.task);
      if (l) guarded(() => l(msg));
    } else if (msg.e === 'work') for (const l of this.workListeners) guarded(() => l(msg));
    else if (msg.e === 'exit') {
      if (!this.exitListeners.size) this.unheardExits.push(msg);
      for (const l of this.exitListeners) guarded(() => l(msg));
    } else if (msg.e === 'call-open' || msg.e === 'call-line' || msg.e === 'call-close' || msg.e === 'renew')
      for (const l of this.callListeners) guarded(() => l(msg));
    // Anything else is of a newer worker: ignored, never taken for an agent's call.
  }

  private gone(why: Error | null = null): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new WorkerGoneError(why ? why.message : 'the terminal worker is gone'));
    this.pending.clear();
    for (const l of this.closeListeners) l();
  }
}

/**
 * Connects to the repository's terminal worker, starting one (detached, its output in
 * `logFile`) when none answers. `fresh` says whether it was started now.
 */
export async function connectWorker(opts: {
  socketPath: string;
  logFile: string;
  bin: string;
  cwd: string;
  /** What follows `muster worker` (a worker of another host: `--dir <work dir>`). */
  args?: string[];
  timeoutMs?: number;
}): Promise<{ client: WorkerClient; fresh: boolean }> {
  try {
    return { client: await WorkerClient.open(opts.socketPath), fresh: false };
  } catch (e) {
    if (!notListening(e)) throw e;
  }
  prepareSocketDir(opts.socketPath, true);
  const log = openSync(opts.logFile, 'a', 0o600);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MUSTER_SPAWNED'));
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, opts.bin, 'worker', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', log, log],
    env,
  });
  closeSync(log);
  // Our child, in a session of its own, but not an orphan the supervisor adopted.
  const pid = child.pid;
  if (pid) {
    trackChild(pid);
    child.once('exit', () => untrackChild(pid));
  }
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    try {
      return { client: await WorkerClient.open(opts.socketPath), fresh: true };
    } catch (e) {
      if (!notListening(e)) throw e;
    }
    if ((exited !== null && exited !== 0) || Date.now() > deadline) {
      throw new WorkerGoneError(`the terminal worker did not start${exited !== null ? ` (exit ${exited})` : ''}; see ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A listener's fault is its own: the connection, and every other task on it, goes on. */
function guarded(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    process.emitWarning(`a terminal worker listener failed: ${(e as Error).stack ?? String(e)}`);
  }
}

function notListening(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}
