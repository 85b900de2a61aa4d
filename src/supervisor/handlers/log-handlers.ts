import { join } from 'node:path';
import { LineRenderer } from '../../adapters/pty/log-text.js';
import { readLog } from '../../adapters/pty/terminal-log.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Connection } from '../../adapters/socket/socket-server.js';
import type { Services } from '../services.js';
import { FALLBACK_SIZE } from '../terminal-sizes.js';
import { requireTerminalTask } from './terminal-handlers.js';

/** Characters of log rendered, and at most one event of lines sent, per step. */
const STEP = 64 * 1024;
/** Older lines the scrollback reader is sent at most; `muster log` has them all. */
const MAX_OLDER = 50_000;
/** Lines compared to find where the emulator's history starts in the log. */
const MATCH = 3;

function logFile(sup: Services, task: number): string {
  return join(sup.cell.ctx.paths.tasksDir, String(task), 'terminal.log');
}

/**
 * Everything the terminal log holds up to now, as text: the write in flight and the gathered
 * output are put on disk first. `exclude` bytes at its end are left out (they are followed live).
 */
async function logText(sup: Services, task: number, exclude = 0): Promise<string> {
  await sup.runtime.existingTerminal(task)?.drainLog();
  const bytes = readLog(logFile(sup, task), sup.cell.config.terminal.log_keep);
  return bytes.subarray(0, Math.max(0, bytes.length - exclude)).toString('utf8');
}

/** `muster log`: the log rendered to text, sent as `log` events; with `follow`, then live. */
export async function termLog(sup: Services, p: ParsedParamsOf<'term.log'>, conn: Connection): Promise<ResultOf<'term.log'>> {
  requireTerminalTask(sup, p.task);
  const term = sup.runtime.existingTerminal(p.task);
  const follow = p.follow && term !== undefined && sup.runtime.isRunning(p.task);
  // Output from now on is followed live; the log is read up to exactly here.
  const since: string[] = [];
  let live: ((data: string) => void) | null = null;
  const unsubscribe = follow ? term.subscribe((d) => (live ? live(d) : since.push(d))) : () => undefined;
  const text = await logText(
    sup,
    p.task,
    since.reduce((n, d) => n + Buffer.byteLength(d), 0),
  );
  const renderer = new LineRenderer(p.cols ?? term?.cols ?? FALLBACK_SIZE.cols);
  let count = 0;
  let closed = false;
  const send = (lines: string[]) => {
    if (!lines.length || closed) return;
    count += lines.length;
    conn.publish('log', { task: p.task, lines });
  };
  for (let at = 0; at < text.length && !conn.isClosed; at += STEP) send(await renderer.write(text.slice(at, at + STEP)));
  if (!follow) {
    unsubscribe();
    send(renderer.finish());
    renderer.dispose();
    return { lines: count, following: false };
  }
  let chain = Promise.resolve();
  const queue = (step: () => Promise<void> | void) => {
    chain = chain.then(step).catch(() => undefined);
  };
  const feed = (d: string) =>
    queue(async () => {
      if (!closed) send(await renderer.write(d));
    });
  const earlier = since.splice(0);
  live = feed;
  for (const d of earlier) feed(d);
  let ended = false;
  const stop = () => {
    ended = true;
    unsubscribe();
    offExit();
  };
  const offExit = sup.runtime.onAgentExit(p.task, () => {
    if (ended) return;
    stop();
    void term.screen.settle().then(() =>
      queue(() => {
        send(renderer.finish());
        renderer.dispose();
        if (!closed) conn.publish('log', { task: p.task, end: true });
      }),
    );
  });
  conn.onClosed(() => {
    closed = true;
    if (!ended) {
      stop();
      queue(() => renderer.dispose());
    }
  });
  return { lines: count, following: true };
}

/** Where in `log` the lines `start` begin (the last place), or -1. */
function lastIndexOfRun(log: readonly string[], start: readonly string[]): number {
  outer: for (let i = log.length - start.length; i >= 0; i--) {
    for (let k = 0; k < start.length; k++) if (log[i + k] !== start[k]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The scrollback reader's material: the emulator's history and screen with their colours, and
 * before them what only the terminal log still has (dropped from a full history, or written
 * before the supervisor started), rendered to text at the same width.
 */
export async function termHistory(sup: Services, p: ParsedParamsOf<'term.history'>): Promise<ResultOf<'term.history'>> {
  requireTerminalTask(sup, p.task);
  const term = await sup.runtime.viewedTerminal(p.task);
  // Rendered where the screen is emulated; the rows above a flood the emulator skipped are left to the log.
  const { width, recent, own: ownLines } = await term.screen.history(p.color);
  // The log, rendered at the emulator's width, up to where the emulator's own lines begin.
  const text = await logText(sup, p.task);
  const renderer = new LineRenderer(width);
  const logLines: string[] = [];
  for (let at = 0; at < text.length; at += STEP) logLines.push(...(await renderer.write(text.slice(at, at + STEP))));
  logLines.push(...renderer.finish());
  renderer.dispose();
  const first = ownLines.findIndex((l) => l !== '');
  let olderCount = logLines.length;
  if (first >= 0) {
    const at = lastIndexOfRun(logLines, ownLines.slice(first, first + MATCH));
    olderCount = at >= 0 ? Math.max(0, at - first) : Math.max(0, logLines.length - ownLines.length);
  }
  const older = logLines.slice(Math.max(0, olderCount - MAX_OLDER), olderCount);
  return { older, dropped: olderCount - older.length, recent, width, running: sup.runtime.isRunning(p.task) };
}
