import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { connect, type Server, type Socket } from 'node:net';
import type * as PtyModule from 'node-pty';
import { encode, readLines } from '../../protocol/ndjson.js';
import { musterPaths, prepareSocketDir, socketPathFor } from '../../paths/muster-paths.js';
import { locateRepo } from '../../paths/repo.js';
import { peerCredentials } from '../proc/native.js';
import { becomeSubreaper, reapAdoptedZombies, trackChild, untrackChild } from '../proc/orphans.js';
import { readLogTail, TerminalLog } from '../pty/terminal-log.js';
import { listenOwnerOnly, removeSocket, socketFd } from '../socket/owner-socket.js';
import { replayScreen } from '../pty/emulator.js';
import { EmulatedScreen } from './emulated-screen.js';
import { HostCalls } from './host-calls.js';
import { HostWork, workDir } from './host-work.js';
import { injectedFault, logFault } from './test-faults.js';
import { WORKER_PROTOCOL, type HostedTerminal, type WorkerEvent, type WorkerReply, type WorkerRequest, type WorkerRequests } from './messages.js';

const require = createRequire(import.meta.url);
const pty = require('node-pty') as typeof PtyModule;

/** How much of each terminal's latest output the worker keeps for a supervisor that attaches later (its screen is rebuilt from it). */
export const KEPT_TAIL = 512 * 1024;
/** How much of an old log a terminal's new screen replays to show the last screen of what ran before. */
const SEED_BYTES = 512 * 1024;
/**
 * How long after output a watched terminal's summary (its last lines, for the activity
 * judgement) goes out: one per this many milliseconds however fast the program writes.
 */
const SUMMARY_MS = 250;

interface Hosted {
  task: number;
  log: TerminalLog;
  logFile: string;
  logKeep: number;
  /** Emulated here (the local worker): output reaches a connection only while it listens. */
  screen: EmulatedScreen | null;
  scrollback: number;
  summaryTimer: NodeJS.Timeout | null;
  proc: PtyModule.IPty | null;
  /** Programs started here ever: a replay of the old log that began before one must not cover its screen. */
  runs: number;
  pty: string | null;
  cols: number;
  rows: number;
  tail: string[];
  tailLength: number;
  /** Characters of output ever, so a supervisor that reconnects takes exactly what it missed. */
  total: number;
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
  /** The terminals whose screen summaries each connection takes. */
  private readonly watching = new Map<Socket, Set<number>>();
  /** The views each connection has open: their key in the screen -> its task. */
  private readonly views = new Map<Socket, Map<string, number>>();
  private readonly connectionNo = new Map<Socket, number>();
  private connections = 0;
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
      h.screen?.dispose();
      if (h.summaryTimer) clearTimeout(h.summaryTimer);
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
    this.watching.set(socket, new Set());
    this.views.set(socket, new Map());
    this.connectionNo.set(socket, ++this.connections);
    readLines(socket, (line) => this.onLine(socket, line));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.calls?.routeClosed(socket);
      this.attached.delete(socket);
      this.watching.delete(socket);
      for (const [key, task] of this.views.get(socket) ?? []) this.hosted.get(task)?.screen?.unview(key);
      this.views.delete(socket);
      this.connectionNo.delete(socket);
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
    const reply = (r: WorkerReply): void => void (socket.writable && socket.write(encode(r)));
    try {
      const out = this.handle(socket, req);
      if (out instanceof Promise)
        out.then(
          (r) => reply({ id: req.id, ok: true, r }),
          (e: unknown) => reply({ id: req.id, ok: false, err: (e as Error).message }),
        );
      else reply({ id: req.id, ok: true, r: out });
    } catch (e) {
      reply({ id: req.id, ok: false, err: (e as Error).message });
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
          h.screen?.dispose();
          if (h.summaryTimer) clearTimeout(h.summaryTimer);
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
            tail: [],
            tailLength: 0,
            total: 0,
            lastExit: null,
          };
          this.hosted.set(p.task, h);
        }
        if (p.scrollback !== undefined && !h.screen) {
          const hosted = h;
          hosted.scrollback = p.scrollback;
          hosted.screen = new EmulatedScreen(hosted.task, hosted.cols, hosted.rows, p.scrollback, (reply) => hosted.proc?.write(reply));
        }
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
      case 'attach': {
        const h = this.get(req.p.task);
        this.attached.get(socket)?.add(h.task);
        // In the same tick as the reply: every byte after the tail reaches this connection as an event.
        return { tail: h.tail.join(''), total: h.total };
      }
      case 'watch': {
        const h = this.get(req.p.task);
        this.watching.get(socket)?.add(h.task);
        return this.screenOf(h).summary();
      }
      case 'listen': {
        const set = this.attached.get(socket);
        if (req.p.on) set?.add(req.p.task);
        else set?.delete(req.p.task);
        return {};
      }
      case 'view': {
        const { task, id, ...spec } = req.p;
        const screen = this.screenOf(this.get(task));
        const key = `${this.connectionNo.get(socket) ?? 0}:${id}`;
        this.views.get(socket)?.set(key, task);
        const send = (frame: Extract<WorkerEvent, { e: 'frame' }>['frame']): void =>
          void (socket.writable && socket.write(encode({ e: 'frame', task, view: id, frame })));
        return screen.view(key, spec, send).then(() => ({}));
      }
      case 'unview': {
        const key = `${this.connectionNo.get(socket) ?? 0}:${req.p.id}`;
        this.views.get(socket)?.delete(key);
        this.hosted.get(req.p.task)?.screen?.unview(key);
        return {};
      }
      case 'echo':
        this.hosted.get(req.p.task)?.screen?.echo(`${this.connectionNo.get(socket) ?? 0}:${req.p.id}`);
        return {};
      case 'history':
        return this.screenOf(this.get(req.p.task)).history(req.p.color);
      case 'settle':
        return this.screenOf(this.get(req.p.task))
          .settle()
          .then(() => ({}));
      case 'seed': {
        const h = this.get(req.p.task);
        const screen = this.screenOf(h);
        if (h.proc || screen.seeded || screen.lastOutputAt !== 0) return {};
        let raw = '';
        try {
          raw = readLogTail(h.logFile, h.logKeep, SEED_BYTES);
        } catch {
          // no log yet: nothing ran here before
        }
        if (!raw) return {};
        const runs = h.runs;
        return replayScreen(raw, screen.emulator.term.cols, screen.emulator.term.rows, h.scrollback).then((last) => {
          // A program started while the log replayed: the screen is its own now, not the old log's.
          if (h.runs === runs && !h.proc && h.screen === screen) screen.seed(last);
          return {};
        });
      }
      case 'write':
        this.get(req.p.task).proc?.write(req.p.data);
        return {};
      case 'resize': {
        const h = this.get(req.p.task);
        h.cols = req.p.cols;
        h.rows = req.p.rows;
        // What came before is parsed at the size it was written for, then the screen reflows.
        h.screen?.resize(h.cols, h.rows);
        this.scheduleSummary(h);
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

  private screenOf(h: Hosted): EmulatedScreen {
    if (!h.screen) throw new Error(`the worker does not emulate task #${h.task}'s terminal; open it with a scrollback`);
    return h.screen;
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
    h.cols = p.cols;
    h.rows = p.rows;
    h.screen?.resize(p.cols, p.rows);
    // On another host the supervisor's environment means nothing: this host's (its PATH, HOME), with muster's variables over it.
    // And this host's `muster` first on PATH: the agent's calls reach its supervisor through this worker.
    const env = this.work
      ? { ...(process.env as Record<string, string>), ...p.env, PATH: `${this.work.binDir}:${p.env.PATH ?? process.env.PATH ?? '/usr/bin:/bin'}` }
      : p.env;
    const proc = pty.spawn(file, args, { name: 'xterm-256color', cols: p.cols, rows: p.rows, cwd: p.cwd, env });
    trackChild(proc.pid);
    h.proc = proc;
    h.runs++;
    // node-pty's Unix terminal knows its slave device; its typings do not say so.
    const device = (proc as unknown as { ptsName?: unknown }).ptsName;
    h.pty = typeof device === 'string' && device ? device : null;
    proc.onData((data) => this.output(h, data));
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

  private output(h: Hosted, data: string): void {
    h.log.write(data);
    h.total += data.length;
    if (h.screen) {
      h.screen.write(data);
      this.scheduleSummary(h);
    } else {
      h.tail.push(data);
      h.tailLength += data.length;
      while (h.tailLength > KEPT_TAIL && h.tail.length > 1) h.tailLength -= h.tail.shift()!.length;
    }
    this.broadcast({ e: 'out', task: h.task, data }, h.task);
  }

  /** The screen's summary to the connections watching it, once what came by then is parsed. */
  private scheduleSummary(h: Hosted): void {
    const screen = h.screen;
    if (!screen || h.summaryTimer || ![...this.watching.values()].some((s) => s.has(h.task))) return;
    h.summaryTimer = setTimeout(() => {
      // Output that comes while this one waits for the parser makes another.
      h.summaryTimer = null;
      screen.emulator
        .flush()
        .then(() => {
          injectedFault('summary', h.task);
          const line = encode({ e: 'seen', task: h.task, ...screen.summary() } satisfies WorkerEvent);
          for (const [socket, tasks] of this.watching) if (socket.writable && tasks.has(h.task)) socket.write(line);
        })
        .catch((e: unknown) => {
          // This terminal's summaries stop (a watch asks again); the agent and every other terminal go on.
          logFault(`the screen summary of task #${h.task} failed and stopped (the agent runs on)`, e);
          for (const tasks of this.watching.values()) tasks.delete(h.task);
        });
    }, SUMMARY_MS);
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
