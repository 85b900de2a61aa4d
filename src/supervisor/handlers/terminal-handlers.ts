import { getTask } from '../../core/task-queue.js';
import { formatId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Connection } from '../server.js';
import { RowStream } from '../row-stream.js';
import type { Supervisor } from '../supervisor.js';

/** A client this far behind stops getting bytes and gets one repaint when it catches up. */
const MAX_BACKLOG = 4 * 1024 * 1024;

function requireTerminalTask(sup: Supervisor, id: number): void {
  const task = getTask(sup.state, id);
  if (!task) throw new MusterError('not-found', `No task ${formatId(id)}. "muster task list" shows the tasks there are.`);
  if (!task.sessions.length) throw new MusterError('invalid-state', `Task ${formatId(id)} has not started yet (${task.state}${task.reason ? `: ${task.reason}` : ''}); there is no terminal to show.`);
}

/** Streams a task's terminal to the client: first the screen as it is, then live output. */
export async function termAttach(sup: Supervisor, p: ParsedParamsOf<'term.attach'>, conn: Connection): Promise<ResultOf<'term.attach'>> {
  requireTerminalTask(sup, p.task);
  const term = sup.runtime.terminal(p.task);
  if (p.cols && p.rows) term.resize(p.cols, p.rows);
  conn.streams.get(p.task)?.();
  await term.emulator.flush();
  let lagging = false;
  const unsubscribe = term.subscribe((data) => {
    if (lagging) return;
    if (conn.backlog > MAX_BACKLOG) {
      lagging = true;
      conn.onDrain(() => {
        void term.emulator.flush().then(() => {
          lagging = false;
          conn.send({ t: 'evt', topic: 'term', data: { task: p.task, reset: term.emulator.serialize() } });
        });
      });
      return;
    }
    conn.send({ t: 'evt', topic: 'term', data: { task: p.task, data } });
  });
  conn.streams.set(p.task, unsubscribe);
  return { screen: term.emulator.serialize(), cols: term.cols, rows: term.rows, running: sup.runtime.isRunning(p.task) };
}

/** Streams a pane's changed rows to the client, and sizes the agent's terminal to the pane. */
export function termWatch(sup: Supervisor, p: ParsedParamsOf<'term.watch'>, conn: Connection): ResultOf<'term.watch'> {
  requireTerminalTask(sup, p.task);
  const term = sup.runtime.terminal(p.task);
  if (p.resize) term.resize(p.width, p.height);
  const size = { width: p.width, height: p.height };
  const opts = { color: p.color, cursor: p.cursor };
  const existing = conn.watches.get(p.task);
  if (existing) existing.update(size, opts);
  else conn.watches.set(p.task, new RowStream(p.task, term, size, opts, (frame) => conn.send({ t: 'evt', topic: 'rows', data: frame })));
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

export function termInput(sup: Supervisor, p: ParsedParamsOf<'term.input'>): ResultOf<'term.input'> {
  requireTerminalTask(sup, p.task);
  return { delivered: sup.runtime.write(p.task, p.data) };
}

export function termResize(sup: Supervisor, p: ParsedParamsOf<'term.resize'>): ResultOf<'term.resize'> {
  requireTerminalTask(sup, p.task);
  sup.runtime.terminal(p.task).resize(p.cols, p.rows);
  return { ok: true };
}
