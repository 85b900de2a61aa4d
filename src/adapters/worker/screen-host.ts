import type { Socket } from 'node:net';
import { encode } from '../../protocol/ndjson.js';
import { replayScreen } from '../pty/emulator.js';
import { readLogTail } from '../pty/terminal-log.js';
import { EmulatedScreen } from './emulated-screen.js';
import type { ScreenHistory, ScreenSummary, ViewSpec, WorkerEvent } from './messages.js';
import { injectedFault, logFault } from './test-faults.js';

/** How much of an old log a terminal's new screen replays to show the last screen of what ran before. */
const SEED_BYTES = 512 * 1024;
/**
 * How long after output a watched terminal's summary (its last lines, for the activity
 * judgement) goes out: one per this many milliseconds however fast the program writes.
 */
const SUMMARY_MS = 250;

/** A view a connection has open. */
interface OpenView {
  task: number;
  spec: ViewSpec;
  send: (frame: Extract<WorkerEvent, { e: 'frame' }>['frame']) => void;
}

/** What of a hosted terminal its screen needs. */
export interface ScreenTerminal {
  readonly task: number;
  readonly logFile: string;
  readonly logKeep: number;
  /** Emulated here once opened (on this machine and on another host): output reaches a connection only while it listens. */
  screen: EmulatedScreen | null;
  scrollback: number;
  summaryTimer: NodeJS.Timeout | null;
  proc: { write(data: string): void } | null;
  /** Programs started here ever: a replay of the old log that began before one must not cover its screen. */
  runs: number;
  cols: number;
  rows: number;
}

/**
 * The worker's emulated screens as its connections see them: the summaries each one watches,
 * the views each one has open (frames of changed rows), the history, and the old log's last
 * screen for a terminal nothing ran in yet.
 */
export class ScreenHost {
  /** The terminals whose screen summaries each connection takes. */
  private readonly watching = new Map<Socket, Set<number>>();
  /** The views each connection has open, by their key in the screen. */
  private readonly views = new Map<Socket, Map<string, OpenView>>();
  /** Views whose frames were skipped while their connection's buffer was full: drawn whole once it drains. */
  private readonly behind = new Map<Socket, Set<string>>();
  private readonly connectionNo = new Map<Socket, number>();
  private connections = 0;

  constructor(
    /** The terminal of a task, or a throw saying there is none. */
    private readonly get: (task: number) => ScreenTerminal,
    private readonly find: (task: number) => ScreenTerminal | undefined,
  ) {}

  connected(socket: Socket): void {
    this.watching.set(socket, new Set());
    this.views.set(socket, new Map());
    this.connectionNo.set(socket, ++this.connections);
  }

  disconnected(socket: Socket): void {
    this.watching.delete(socket);
    for (const [key, v] of this.views.get(socket) ?? []) this.find(v.task)?.screen?.unview(key);
    this.views.delete(socket);
    this.behind.delete(socket);
    this.connectionNo.delete(socket);
  }

  /** From now on `h`'s output is emulated here, with `scrollback` lines of history. */
  emulate(h: ScreenTerminal, scrollback: number): void {
    if (h.screen) return;
    h.scrollback = scrollback;
    h.screen = new EmulatedScreen(h.task, h.cols, h.rows, scrollback, (reply) => h.proc?.write(reply));
  }

  /** Output onto `h`'s screen; false when it is not emulated here. */
  write(h: ScreenTerminal, data: string): boolean {
    if (!h.screen) return false;
    h.screen.write(data);
    this.scheduleSummary(h);
    return true;
  }

  /** `h` took its new size (h.cols × h.rows). */
  resized(h: ScreenTerminal): void {
    // What came before is parsed at the size it was written for, then the screen reflows.
    h.screen?.resize(h.cols, h.rows);
    this.scheduleSummary(h);
  }

  dispose(h: ScreenTerminal): void {
    h.screen?.dispose();
    if (h.summaryTimer) clearTimeout(h.summaryTimer);
    h.summaryTimer = null;
  }

  watch(socket: Socket, task: number): ScreenSummary {
    const h = this.get(task);
    this.watching.get(socket)?.add(h.task);
    return this.screenOf(h).summary();
  }

  view(socket: Socket, p: ViewSpec & { task: number; id: number }): Promise<Record<string, never>> {
    const { task, id, ...spec } = p;
    const screen = this.screenOf(this.get(task));
    const key = this.key(socket, id);
    const send = (frame: Extract<WorkerEvent, { e: 'frame' }>['frame']): void => {
      if (!socket.writable) return;
      // A client that reads slower than frames come: the frame is skipped, not queued without
      // bound, and the view is drawn whole (the latest rows) once the connection catches up.
      if (socket.writableNeedDrain) return this.fallBehind(socket, key);
      socket.write(encode({ e: 'frame', task, view: id, frame }));
    };
    this.views.get(socket)?.set(key, { task, spec, send: this.views.get(socket)?.get(key)?.send ?? send });
    return screen.view(key, spec, send).then(() => ({}));
  }

  private fallBehind(socket: Socket, key: string): void {
    let keys = this.behind.get(socket);
    if (!keys) {
      this.behind.set(socket, (keys = new Set()));
      socket.once('drain', () => this.catchUp(socket));
    }
    keys.add(key);
  }

  /** Each view that skipped frames gets a full one: it shows the screen as it is now. */
  private catchUp(socket: Socket): void {
    const keys = this.behind.get(socket);
    this.behind.delete(socket);
    for (const key of keys ?? []) {
      const v = this.views.get(socket)?.get(key);
      const screen = v && this.find(v.task)?.screen;
      if (v && screen) screen.view(key, v.spec, v.send).catch((e: unknown) => logFault(`a view of task #${v.task} could not be drawn again`, e));
    }
  }

  unview(socket: Socket, task: number, id: number): void {
    const key = this.key(socket, id);
    this.views.get(socket)?.delete(key);
    this.find(task)?.screen?.unview(key);
  }

  echo(socket: Socket, task: number, id: number): void {
    this.find(task)?.screen?.echo(this.key(socket, id));
  }

  history(task: number, color: boolean): Promise<ScreenHistory> {
    return this.screenOf(this.get(task)).history(color);
  }

  settle(task: number): Promise<Record<string, never>> {
    return this.screenOf(this.get(task))
      .settle()
      .then(() => ({}));
  }

  /** The last screen `task`'s old log leaves, onto a screen nothing ran in yet. */
  seed(task: number): Record<string, never> | Promise<Record<string, never>> {
    const h = this.get(task);
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

  private key(socket: Socket, id: number): string {
    return `${this.connectionNo.get(socket) ?? 0}:${id}`;
  }

  private screenOf(h: ScreenTerminal): EmulatedScreen {
    if (!h.screen) throw new Error(`the worker does not emulate task #${h.task}'s terminal; open it with a scrollback`);
    return h.screen;
  }

  /** The screen's summary to the connections watching it, once what came by then is parsed. */
  private scheduleSummary(h: ScreenTerminal): void {
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
}
