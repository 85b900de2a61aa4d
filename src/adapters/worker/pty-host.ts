import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { connect, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type * as PtyModule from 'node-pty';
import { encode, readLines } from '../../protocol/ndjson.js';
import { musterPaths, prepareSocketDir, socketPathFor } from '../../paths/muster-paths.js';
import { locateRepo } from '../../paths/repo.js';
import { peerCredentials, setUtf8Input } from '../proc/native.js';
import { becomeSubreaper, reapAdoptedZombies, trackChild, untrackChild } from '../proc/orphans.js';
import { TerminalLog } from '../pty/terminal-log.js';
import { listenOwnerOnly, removeSocket, socketFd } from '../socket/owner-socket.js';
import { HostCalls } from './host-calls.js';
import { HostWork, workDir } from './host-work.js';
import { ScreenHost, type ScreenTerminal } from './screen-host.js';
import { logFault } from './test-faults.js';
import { WORKER_PROTOCOL, type HostedTerminal, type WorkerEvent, type WorkerReply, type WorkerRequest, type WorkerRequests } from './messages.js';

const require = createRequire(import.meta.url);
const pty = require('node-pty') as typeof PtyModule;

interface Hosted extends ScreenTerminal {
  log: TerminalLog;
  proc: PtyModule.IPty | null;
  pty: string | null;
  lastExit: { pid: number; exitCode: number; signal: number | null } | null;
}

/**
 * The process that owns agents' terminals (`muster worker`), beside the supervisor: the PTYs,
 * the terminal logs, the subreaper role for what agents orphan. The supervisor may crash,
 * restart or be upgraded; the agents, their logs and the worker go on, and the next
 * supervisor attaches to them again.
 */
export class PtyHost {
  private readonly hosted = new Map<number, Hosted>();
  /** Every connection, with the terminals whose raw output it takes. */
  private readonly attached = new Map<Socket, Set<number>>();
  /** The emulated screens, as each connection watches and views them. */
  private readonly screens = new ScreenHost(
    (task) => this.get(task),
    (task) => this.hosted.get(task),
  );
  /** The programs each connection started that end with it. */
  private readonly bound = new Map<Socket, Set<number>>();
  private server: Server | null = null;
  private stopping = false;
  private reaper: NodeJS.Timeout | null = null;
  private idleSince = Date.now();
  /** On another host: the worktrees and the git work of its tasks. */
  private readonly work: HostWork | null;
  /** On another host: its agents' `muster` calls, carried to their supervisors. */
  private readonly calls: HostCalls | null;

  constructor(
    private readonly socketPath: string,
    /** With no supervisor connected and nothing running, the worker exits after this long. */
    private readonly idleMs: number,
    /** The work directory, when this worker runs agents for a supervisor on another machine. */
    workDirectory: string | null = null,
  ) {
    const work = workDirectory ? new HostWork(workDirectory, (task, snap) => this.broadcast({ e: 'work', task, ...snap }, null)) : null;
    this.work = work;
    this.calls = work
      ? new HostCalls(
          {
            leaders: () => new Map([...this.hosted.values()].flatMap((h) => (h.proc ? [[h.proc.pid, h.task] as [number, number]] : []))),
            running: () => [...this.hosted.values()].filter((h) => h.proc).map((h) => h.task),
            worktree: (repo, task) => work.worktree(repo, task),
            taskAt: (repo, path) => work.taskAt(repo, path),
          },
          (route, event) => void (route.writable && route.write(encode(event))),
        )
      : null;
  }

  /** Listens on the socket unless a worker already answers there; false when one does. */
  async listen(): Promise<boolean> {
    if (await answers(this.socketPath)) return false;
    const server = await listenOwnerOnly(this.socketPath, (socket) => this.accept(socket));
    this.server = server;
    becomeSubreaper();
    this.reaper = setInterval(() => {
      reapAdoptedZombies();
      this.exitIfIdle();
    }, 1000);
    return true;
  }

  private exitIfIdle(): void {
    const busy = this.attached.size > 0 || [...this.hosted.values()].some((h) => h.proc);
    if (busy) this.idleSince = Date.now();
    else if (this.stopping || Date.now() - this.idleSince > this.idleMs) this.close();
  }

  close(): void {
    this.work?.close();
    this.calls?.close();
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = null;
    for (const h of this.hosted.values()) {
      h.log.close();
      this.screens.dispose(h);
    }
    for (const s of this.attached.keys()) s.destroy();
    this.server?.close();
    this.server = null;
    removeSocket(this.socketPath);
  }

  private accept(socket: Socket): void {
    socket.setEncoding('utf8');
    // Only the user who started the worker: the socket is 0600 already; the kernel's word too.
    const fd = socketFd(socket);
    try {
      if (fd === null || peerCredentials(fd).uid !== process.getuid?.()) throw new Error('foreign uid');
    } catch {
      socket.destroy();
      return;
    }
    this.attached.set(socket, new Set());
    this.screens.connected(socket);
    readLines(socket, (line) => this.onLine(socket, line));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.calls?.routeClosed(socket);
      this.attached.delete(socket);
      this.screens.disconnected(socket);
      for (const pid of this.bound.get(socket) ?? []) for (const target of [-pid, pid]) signal(target, 'SIGHUP');
      this.bound.delete(socket);
    });
  }

  private onLine(socket: Socket, line: string): void {
    let req: WorkerRequest;
    try {
      req = JSON.parse(line) as WorkerRequest;
    } catch {
      socket.destroy();
      return;
    }
    const id = req.id;
    // A request with no id is answered by nobody: no one waits for it, nor for its refusal (a keystroke to a terminal that is gone).
    const reply = (r: WorkerReply): void => void (id !== undefined && socket.writable && socket.write(encode(r)));
    try {
      const out = this.handle(socket, req);
      if (out instanceof Promise)
        out.then(
          (r) => reply({ id: id!, ok: true, r }),
          (e: unknown) => reply({ id: id!, ok: false, err: (e as Error).message }),
        );
      else reply({ id: id!, ok: true, r: out });
    } catch (e) {
      reply({ id: id!, ok: false, err: (e as Error).message });
    }
  }

  private handle(socket: Socket, req: WorkerRequest): unknown {
    switch (req.m) {
      case 'hello':
        return { pid: process.pid, version: WORKER_PROTOCOL, terminals: [...this.hosted.values()].map(describe) } satisfies WorkerRequests['hello']['result'];
      case 'open': {
        const p = req.p;
        const logFile = this.work ? join(this.work.dir, p.logFile) : p.logFile;
        let h = this.hosted.get(p.task);
        // Terminals are known by task number: on a host that serves two repositories, #3 of one is not #3 of the other.
        if (h && h.log.file !== logFile) {
          if (h.proc)
            throw new Error(
              `this host's worker runs task #${p.task} of another repository now (its log is ${h.log.file}); give this repository its own dir under hosts:`,
            );
          h.log.close();
          this.screens.dispose(h);
          this.hosted.delete(p.task);
          h = undefined;
        }
        if (!h) {
          if (this.work) mkdirSync(dirname(logFile), { recursive: true });
          h = {
            task: p.task,
            log: new TerminalLog(logFile, p.logMaxBytes, p.logKeep),
            logFile,
            logKeep: p.logKeep,
            screen: null,
            scrollback: 0,
            summaryTimer: null,
            proc: null,
            runs: 0,
            pty: null,
            cols: p.cols,
            rows: p.rows,
            lastExit: null,
          };
          this.hosted.set(p.task, h);
        }
        this.screens.emulate(h, p.scrollback);
        return {};
      }
      case 'run': {
        const started = this.run(req.p);
        if (!req.p.outlives) {
          const set = this.bound.get(socket) ?? new Set();
          set.add(started.pid);
          this.bound.set(socket, set);
        }
        return started;
      }
      case 'watch':
        return this.screens.watch(socket, req.p.task);
      case 'listen': {
        const set = this.attached.get(socket);
        if (req.p.on) set?.add(req.p.task);
        else set?.delete(req.p.task);
        return {};
      }
      case 'view':
        return this.screens.view(socket, req.p);
      case 'unview':
        this.screens.unview(socket, req.p.task, req.p.id);
        return {};
      case 'echo':
        this.screens.echo(socket, req.p.task, req.p.id);
        return {};
      case 'history':
        return this.screens.history(req.p.task, req.p.color);
      case 'settle':
        return this.screens.settle(req.p.task);
      case 'seed':
        return this.screens.seed(req.p.task);
      case 'write':
        this.get(req.p.task).proc?.write(req.p.data);
        return {};
      case 'resize': {
        const h = this.get(req.p.task);
        h.cols = req.p.cols;
        h.rows = req.p.rows;
        this.screens.resized(h);
        try {
          h.proc?.resize(h.cols, h.rows);
        } catch {
          // exited between the check and the resize
        }
        return {};
      }
      case 'output':
        this.output(this.get(req.p.task), req.p.data);
        return {};
      case 'signal': {
        const pid = this.get(req.p.task).proc?.pid;
        // The program leads its own session: the whole group, so its children get it too.
        if (pid) for (const target of [-pid, pid]) signal(target, req.p.signal);
        return {};
      }
      case 'drain':
        return this.get(req.p.task)
          .log.drain()
          .then(() => ({}));
      case 'prepare':
        return this.hostWork().prepare(req.p.repo);
      case 'checkout':
        return this.hostWork().checkout(req.p);
      case 'snapshot':
        return this.hostWork()
          .snapshot(req.p.repo, req.p.task)
          .then(({ head, wip }) => ({ head, wip }));
      case 'serve':
        return this.hostWork()
          .prepare(req.p.repo)
          .then(({ gitDir }) => this.calls!.serve(req.p.repo, gitDir, socket, req.p.renewMs));
      case 'call-reply':
        this.calls?.reply(req.p.ch, req.p.line);
        return {};
      case 'call-end':
        this.calls?.end(req.p.ch);
        return {};
      case 'shutdown':
        this.stopping = true;
        return {};
    }
  }

  private hostWork(): HostWork {
    if (!this.work) throw new Error('this worker serves its own machine; git work is for a worker on another host (muster worker --dir)');
    return this.work;
  }

  private get(task: number): Hosted {
    const h = this.hosted.get(task);
    if (!h) throw new Error(`the worker has no terminal for task #${task}; open it first`);
    return h;
  }

  private run(p: WorkerRequests['run']['params']): WorkerRequests['run']['result'] {
    const h = this.get(p.task);
    const [file, ...args] = p.argv;
    if (!file) throw new Error('run needs a program');
    // One program per terminal: a second would take over the first one's screen and log. Reached
    // when two repositories share a host's dir, whose task numbers clash (the open was refused).
    if (h.proc)
      throw new Error(
        `task #${p.task}'s terminal on this worker still runs pid ${h.proc.pid} (its log is ${h.log.file}); if that is another repository's task, give this repository its own dir under hosts:`,
      );
    h.cols = p.cols;
    h.rows = p.rows;
    h.screen?.resize(p.cols, p.rows);
    // On another host the supervisor's environment means nothing: this host's (its PATH, HOME), with muster's variables over it.
    // And this host's `muster` first on PATH: the agent's calls reach its supervisor through this worker.
    const env = this.work
      ? { ...(process.env as Record<string, string>), ...p.env, PATH: `${this.work.binDir}:${p.env.PATH ?? process.env.PATH ?? '/usr/bin:/bin'}` }
      : p.env;
    // Bytes, not strings: the log takes them as they came (re-encoding every chunk cost more
    // than decoding it), and the screen and listeners get them decoded here, as node-pty would.
    const proc = pty.spawn(file, args, { name: 'xterm-256color', cols: p.cols, rows: p.rows, cwd: p.cwd, env, encoding: null });
    // node-pty marks the terminal's input UTF-8 only when it decodes itself.
    const master = (proc as unknown as { fd?: unknown }).fd;
    if (typeof master === 'number') setUtf8Input(master);
    trackChild(proc.pid);
    h.proc = proc;
    h.runs++;
    // node-pty's Unix terminal knows its slave device; its typings do not say so.
    const device = (proc as unknown as { ptsName?: unknown }).ptsName;
    h.pty = typeof device === 'string' && device ? device : null;
    // One decoder per program: a character split between two reads is shown once it is whole.
    const decoder = new StringDecoder('utf8');
    proc.onData((data) => this.received(h, decoder, data as unknown as Buffer));
    proc.onExit(({ exitCode, signal }) => {
      untrackChild(proc.pid);
      for (const set of this.bound.values()) set.delete(proc.pid);
      if (h.proc === proc) {
        h.proc = null;
        h.pty = null;
      }
      h.lastExit = { pid: proc.pid, exitCode, signal: signal || null };
      this.broadcast({ e: 'exit', task: h.task, pid: proc.pid, exitCode, signal: signal || null }, null);
    });
    return { pid: proc.pid, pty: h.pty };
  }

  /** A read from the program's PTY: its bytes to the log as they are, their text to the screen and listeners. */
  private received(h: Hosted, decoder: StringDecoder, bytes: Buffer): void {
    h.log.write(bytes);
    const text = decoder.write(bytes);
    if (text) this.show(h, text);
  }

  private output(h: Hosted, data: string): void {
    h.log.write(data);
    this.show(h, data);
  }

  private show(h: Hosted, data: string): void {
    this.screens.write(h, data);
    this.broadcast({ e: 'out', task: h.task, data }, h.task);
  }

  private broadcast(event: WorkerEvent, task: number | null): void {
    // Output nobody takes is not even encoded.
    let line: string | null = null;
    for (const [socket, tasks] of this.attached) if (socket.writable && (task === null || tasks.has(task))) socket.write((line ??= encode(event)));
  }
}

function describe(h: Hosted): HostedTerminal {
  return { task: h.task, pid: h.proc?.pid ?? null, pty: h.pty, cols: h.cols, rows: h.rows, lastExit: h.lastExit };
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}

/** Whether something accepts connections on the socket now. */
export function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Where the worker of another host's work directory listens and keeps its pid. */
export function hostWorkerPaths(dir: string): { dir: string; socketPath: string; stateDir: string; logFile: string } {
  const abs = workDir(dir, homedir());
  const stateDir = join(abs, '.muster');
  return { dir: abs, socketPath: socketPathFor(stateDir, 'worker'), stateDir, logFile: join(stateDir, 'worker.log') };
}

/**
 * `muster worker` for the repository around `cwd`, or (`dir`) for a supervisor on another
 * machine with its work directory here: hosts terminals until idle; the exit code.
 */
export async function runWorker(cwd: string, idleMs = 60_000, dir: string | null = null): Promise<number> {
  const hostPaths = dir === null ? null : hostWorkerPaths(dir);
  if (hostPaths) mkdirSync(hostPaths.stateDir, { recursive: true, mode: 0o700 });
  const paths = hostPaths ?? musterPaths(locateRepo(cwd));
  const socketPath = hostPaths ? hostPaths.socketPath : musterPaths(locateRepo(cwd)).workerSocketPath;
  if (hostPaths) prepareSocketDir(socketPath, true);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const host = new PtyHost(socketPath, idleMs, hostPaths?.dir ?? null);
  if (!(await host.listen())) {
    process.stderr.write(`muster: a terminal worker already serves ${socketPath}\n`);
    return 0;
  }
  // The supervisor's signals are not the worker's: a terminal hangup or a ^C to the group that started it must not end the agents.
  for (const sig of ['SIGHUP', 'SIGINT'] as const) process.on(sig, () => undefined);
  // One terminal's fault is not every agent's end: it is logged here (worker.log) and the worker goes on.
  process.on('uncaughtException', (e) => logFault('the terminal worker caught a fault and goes on', e));
  process.on('unhandledRejection', (e) => logFault('the terminal worker caught a fault and goes on', e));
  process.on('SIGTERM', () => {
    host.close();
    process.exit(0);
  });
  // For people and tests that must find it (the supervisor asks it over the socket).
  writeFileSync(join(paths.stateDir, 'worker.pid'), `${process.pid}\n`, { mode: 0o600 });
  process.stderr.write(`muster: terminal worker ${process.pid} serving ${socketPath}\n`);
  return 0;
}
