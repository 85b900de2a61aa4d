import type { ScreenFrameView } from '../../protocol/shapes.js';
import { getTask } from '../../core/task-queue.js';
import { formatId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Connection } from '../../adapters/socket/socket-server.js';
import type { ScreenView, TaskTerminal } from '../../adapters/pty/task-terminal.js';
import type { Services } from '../services.js';
import type { ViewKind } from '../terminal-sizes.js';

/** Refuses a task that does not exist or never ran: it has no terminal to show. */
export function requireTerminalTask(sup: Services, id: number): void {
  const task = getTask(sup.cell.state, id);
  if (!task) throw new MusterError('not-found', `No task ${formatId(id)}. "muster task list" shows the tasks there are.`);
  if (!task.sessions.length)
    throw new MusterError(
      'invalid-state',
      `Task ${formatId(id)} has not started yet (${task.state}${task.reason ? `: ${task.reason}` : ''}); there is no terminal to show.`,
    );
}

/** A view being opened where the screen is emulated, usable once it is. */
interface OpenView {
  made: Promise<ScreenView>;
  view: ScreenView | null;
}

/** The full-screen views a connection has open: task id -> its view. */
const attaches = new WeakMap<Connection, Map<number, OpenView>>();

/** Opens a view of `term`'s screen; resolves once its first frame shows all the output so far. */
function openView(term: TaskTerminal, spec: Parameters<ScreenView['update']>[0], send: Parameters<TaskTerminal['screen']['view']>[1]): OpenView {
  const open: OpenView = { made: term.screen.view(spec, send), view: null };
  void open.made.then((v) => (open.view = v));
  return open;
}

function closeView(open: OpenView): void {
  void open.made.then((v) => v.close());
}

/** Applies the size the views of `task` agree on (see TerminalSizes) to its terminal. */
function resizeToViews(sup: Services, task: number): void {
  const size = sup.runtime.sizes.size(task);
  if (size) sup.runtime.existingTerminal(task)?.resize(size.cols, size.rows);
}

function claim(sup: Services, task: number, conn: Connection, kind: ViewKind, cols: number, rows: number): void {
  sup.runtime.sizes.claim(task, conn, kind, { cols, rows });
  resizeToViews(sup, task);
}

function release(sup: Services, task: number, conn: Connection, kind: ViewKind): void {
  sup.runtime.sizes.release(task, conn, kind);
  resizeToViews(sup, task);
}

/**
 * Shows a task's terminal full-screen to the client: its screen as rows drawn from the
 * emulator (topic `screen`), where the cursor goes and the input modes the agent wants, then,
 * once, `ended` when the agent exits. The agent's own bytes never reach the client, so no mode
 * it sets can leak into the operator's terminal. Attaching again on the same connection (a
 * resize) changes the size.
 */
export async function termAttach(sup: Services, p: ParsedParamsOf<'term.attach'>, conn: Connection): Promise<ResultOf<'term.attach'>> {
  requireTerminalTask(sup, p.task);
  const term = await sup.runtime.viewedTerminal(p.task);
  // Gone while its terminal was made: no view to open for it, and no size of its to claim (nothing would release it).
  if (conn.isClosed) return { cols: term.cols, rows: term.rows, running: sup.runtime.isRunning(p.task) || startingUp(sup, p.task) };
  if (p.cols && p.rows) claim(sup, p.task, conn, 'attach', p.cols, p.rows);
  // A view made for the screen sends screen frames: where the cursor goes, the input modes.
  const spec = { width: p.cols ?? term.cols, height: p.rows ?? term.rows, color: p.color, cursor: false, screen: true };
  let views = attaches.get(conn);
  if (!views) attaches.set(conn, (views = new Map()));
  const open = views.get(p.task);
  if (open) await (await open.made).update(spec);
  else {
    const made = openView(term, spec, (frame) => conn.publish('screen', frame as ScreenFrameView));
    views.set(p.task, made);
    const offExit = sup.runtime.onAgentExit(p.task, (exit) => {
      // The last rows first: the client leaves when it hears the end.
      void term.screen.settle().then(() => conn.publish('screen', { task: p.task, ended: { exitCode: exit.exitCode, signal: exit.signal } }));
    });
    conn.streams.get(p.task)?.();
    conn.streams.set(p.task, () => {
      offExit();
      closeView(made);
      views.delete(p.task);
      release(sup, p.task, conn, 'attach');
    });
    await made.made;
  }
  return { cols: term.cols, rows: term.rows, running: sup.runtime.isRunning(p.task) || startingUp(sup, p.task) };
}

/** Dispatched and not ended: its worktree, setup or agent is still on the way, and its terminal shows that. */
function startingUp(sup: Services, id: number): boolean {
  const task = getTask(sup.cell.state, id);
  const last = task?.sessions.at(-1);
  return task?.state === 'running' && !!last && last.endedAt === null;
}

/** Streams a pane's changed rows to the client, and sizes the agent's terminal to the pane. */
export async function termWatch(sup: Services, p: ParsedParamsOf<'term.watch'>, conn: Connection): Promise<ResultOf<'term.watch'>> {
  requireTerminalTask(sup, p.task);
  const term = await sup.runtime.viewedTerminal(p.task);
  if (conn.isClosed) return { ok: true };
  if (p.resize) claim(sup, p.task, conn, 'pane', p.width, p.height);
  const spec = { width: p.width, height: p.height, color: p.color, cursor: p.cursor, screen: false };
  const existing = conn.watches.get(p.task);
  if (existing) existing.update({ width: spec.width, height: spec.height }, spec);
  else {
    const made = openView(term, spec, (frame) => conn.publish('rows', frame));
    conn.watches.set(p.task, {
      update: (s, o) => void made.made.then((v) => v.update({ ...s, ...o, screen: false })),
      close: () => {
        closeView(made);
        release(sup, p.task, conn, 'pane');
      },
    });
  }
  return { ok: true };
}

export function termUnwatch(p: ParsedParamsOf<'term.unwatch'>, conn: Connection): ResultOf<'term.unwatch'> {
  conn.watches.get(p.task)?.close();
  conn.watches.delete(p.task);
  return { ok: true };
}

export function termDetach(p: ParsedParamsOf<'term.detach'>, conn: Connection): ResultOf<'term.detach'> {
  conn.streams.get(p.task)?.();
  conn.streams.delete(p.task);
  return { ok: true };
}

export function termInput(sup: Services, p: ParsedParamsOf<'term.input'>, conn: Connection): ResultOf<'term.input'> {
  requireTerminalTask(sup, p.task);
  attaches.get(conn)?.get(p.task)?.view?.echo();
  return { delivered: sup.runtime.write(p.task, p.data) };
}

/** A view of `task` changed size without a new attach (the CLI's terminal was resized). */
export function termResize(sup: Services, p: ParsedParamsOf<'term.resize'>, conn: Connection): ResultOf<'term.resize'> {
  requireTerminalTask(sup, p.task);
  claim(sup, p.task, conn, 'attach', p.cols, p.rows);
  return { ok: true };
}
