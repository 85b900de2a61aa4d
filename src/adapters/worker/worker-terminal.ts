import type { RowFrameView, ScreenFrameView } from '../../protocol/shapes.js';
import type { TerminalHost, TerminalScreen } from '../pty/task-terminal.js';
import type { ScreenSummary, ViewSpec } from './messages.js';
import type { WorkerClient } from './worker-client.js';

export interface TerminalLogSpec {
  file: string;
  maxBytes: number;
  keep: number;
}

/** How a task's terminal reaches the worker that hosts it (this machine's, or another host's over ssh). */
export interface WorkerLink {
  /** The connection now, if there is one and nothing was let go. */
  current(): WorkerClient | null;
  /** Sends on the connection: now, or as the worker's way is (once one is made here; dropped while a host is away). */
  send(fn: (c: WorkerClient) => void): void;
  /** A connection for what needs a screen (a view, the log's last screen), made now if the worker's way allows; rejects if not. */
  make(): Promise<WorkerClient>;
}

type Run = TerminalHost['run'];

/** View ids are unique per connection; one count for all of this process's views keeps them so on every connection. */
let lastView = 0;

/**
 * A task's terminal in a terminal worker, as the supervisor sees it. The worker owns the PTY,
 * the log and the emulated screen (and keeps them across connections and supervisors): only
 * what is asked of the screen (views' frames, summaries, history) comes here, and the raw
 * output only while something here listens. On each new connection the terminal is opened
 * again with its watch, its views and its listening, so what is shown is the worker's screen,
 * whatever came while no connection was there.
 */
export class WorkerTerminal {
  cols: number;
  rows: number;
  /** Whether something here reads the raw output. */
  private listening = false;
  /** The worker's last summary of the screen, and when output last came by it (0: never). */
  private tail: string[] = [];
  private lastOutputAt = 0;
  /** Opened on a worker before. */
  private opened = false;
  /** The views open on the screen, made again on a new connection. */
  private readonly views = new Map<number, { spec: ViewSpec; send: (frame: RowFrameView | ScreenFrameView) => void }>();

  constructor(
    readonly task: number,
    private readonly log: TerminalLogSpec,
    size: { cols: number; rows: number },
    /** Lines of history the worker's emulator keeps. */
    private readonly scrollback: number,
    /** The raw output, while listening. */
    private readonly receive: (data: string) => void,
    private readonly link: WorkerLink,
  ) {
    this.cols = size.cols;
    this.rows = size.rows;
  }

  /** Opens the terminal on `client`, a new connection (the first, or one made again). */
  openOn(client: WorkerClient): void {
    const task = this.task;
    const summary = (sum: ScreenSummary): void => {
      this.tail = sum.tail;
      this.lastOutputAt = sum.ago === null ? 0 : Date.now() - sum.ago;
    };
    // The watch's answer is taken after the events that came in the same read: a summary sent
    // after it must not be overwritten by it.
    let later = false;
    client.onOutput(task, (data) => this.receive(data));
    client.onScreen(task, (e) => {
      if (e.e !== 'seen') return this.views.get(e.view)?.send(e.frame);
      later = true;
      summary(e);
    });
    const log = this.log;
    client.send('open', {
      task,
      logFile: log.file,
      logMaxBytes: log.maxBytes,
      logKeep: log.keep,
      cols: this.cols,
      rows: this.rows,
      scrollback: this.scrollback,
    });
    // A new worker after the last one died: the screen it had is gone, the log's last screen stands in for it.
    if (this.opened && !client.terminals.some((t) => t.task === task)) client.send('seed', { task });
    this.opened = true;
    client.call('watch', { task }).then(
      (sum) => void (later || summary(sum)),
      () => undefined,
    );
    if (this.listening) client.send('listen', { task, on: true });
    for (const [id, v] of this.views) client.send('view', { task, id, ...v.spec });
  }

  /** The TerminalHost of this terminal, whose programs `run` starts in the worker. */
  host(run: Run): TerminalHost {
    const task = this.task;
    const send = (fn: (c: WorkerClient) => void): void => this.link.send(fn);
    return {
      run: (argv, o) => {
        this.cols = o.cols;
        this.rows = o.rows;
        return run(argv, o);
      },
      write: (data) => send((c) => c.send('write', { task, data })),
      resize: (cols, rows) => {
        this.cols = cols;
        this.rows = rows;
        send((c) => c.send('resize', { task, cols, rows }));
      },
      output: (data) => send((c) => c.send('output', { task, data })),
      signal: (signal) => send((c) => c.send('signal', { task, signal })),
      drain: async () => {
        await this.link
          .current()
          ?.call('drain', { task })
          .catch(() => undefined);
      },
      listen: (on) => {
        this.listening = on;
        send((c) => c.send('listen', { task, on }));
      },
      screen: this.screen(),
    };
  }

  /** The screen the worker emulates, as the supervisor asks things of it. */
  private screen(): TerminalScreen {
    const task = this.task;
    // Asked with no connection: there is nothing to wait for, and nothing to connect for (a
    // screen is made by a launch); the answer is `otherwise`, at once.
    const ask = async <T>(fn: (c: WorkerClient) => Promise<T>, otherwise: T): Promise<T> => {
      const c = this.link.current();
      if (!c) return otherwise;
      try {
        return await fn(c);
      } catch {
        return otherwise;
      }
    };
    // A view, and the log's last screen under it, need a screen: besides a launch, the one
    // reason to connect (an exited agent's last screen, after the worker idled out, is shown from its log).
    const make = async <T>(fn: (c: WorkerClient) => Promise<T>, otherwise: T): Promise<T> => {
      try {
        return await fn(await this.link.make());
      } catch {
        return otherwise;
      }
    };
    const self = this;
    return {
      get lastOutputAt() {
        return self.lastOutputAt;
      },
      tail: () => this.tail,
      settle: () => ask((c) => c.call('settle', { task }).then(() => undefined), undefined),
      view: async (spec, send) => {
        const id = ++lastView;
        const v = { spec, send };
        this.views.set(id, v);
        await make((c) => c.call('view', { task, id, ...spec }), {});
        return {
          update: async (next) => {
            v.spec = next;
            await ask((c) => c.call('view', { task, id, ...next }), {});
          },
          echo: () => this.link.current()?.send('echo', { task, id }),
          close: () => {
            if (this.views.delete(id)) this.link.current()?.send('unview', { task, id });
          },
        };
      },
      history: (color) => ask((c) => c.call('history', { task, color }), { width: this.cols, recent: [], own: [] }),
      seedFromLog: () => make((c) => c.call('seed', { task }).then(() => undefined), undefined),
      dispose: () => this.views.clear(),
    };
  }
}
