import { renderRow } from '../../pane/row-render.js';
import type { RowFrameView, ScreenFrameView } from '../../protocol/shapes.js';
import { Emulator } from '../pty/emulator.js';
import type { ScreenHistory, ScreenSummary, ViewSpec } from './messages.js';
import { RowStream } from './row-stream.js';

/** Non-empty lines at the end of the screen the activity judgement reads. */
const TAIL_LINES = 3;

/**
 * One terminal's screen where its output is parsed: the emulator, the views drawn from it (rows
 * for panes, screens for attaches), what the activity judgement needs of it, and the history
 * for the scrollback reader. It lives in the terminal worker beside the PTY, so output nobody
 * watches never leaves that process (on another host, never crosses ssh).
 */
export class EmulatedScreen {
  readonly emulator: Emulator;
  private readonly views = new Map<string, RowStream>();
  /** Views asked for and not made yet (waiting for the parser): one closed meanwhile is not made. */
  private readonly opening = new Set<string>();
  /** When output last came (0: never). */
  lastOutputAt = 0;
  /** Whether an earlier screen was put here (the last screen of the log). */
  seeded = false;

  constructor(
    private readonly task: number,
    cols: number,
    rows: number,
    scrollback: number,
    /** Answers to the program's terminal queries (cursor position, device attributes). */
    reply: (data: string) => void,
  ) {
    this.emulator = new Emulator(cols, rows, scrollback);
    this.emulator.term.onData(reply);
  }

  write(data: string): void {
    this.lastOutputAt = Date.now();
    this.emulator.write(data);
  }

  /** Output from before this screen existed: onto it once, and only while nothing else was written. */
  seed(data: string): void {
    if (this.seeded || this.lastOutputAt !== 0 || !data) return;
    this.seeded = true;
    this.emulator.write(data);
  }

  resize(cols: number, rows: number): void {
    this.emulator.resize(cols, rows);
  }

  /** The last non-empty lines of the screen, as parsed so far. */
  tail(): string[] {
    return this.emulator
      .screenLines()
      .filter((l) => l.trim())
      .slice(-TAIL_LINES);
  }

  summary(now = Date.now()): ScreenSummary {
    return { ago: this.lastOutputAt ? Math.max(0, now - this.lastOutputAt) : null, tail: this.tail() };
  }

  /**
   * Draws the screen for the view `key` (new, or again with a new size or options): frames of
   * changed rows to `send`, the first once the output so far is parsed, so it shows all of it.
   */
  async view(key: string, spec: ViewSpec, send: (frame: RowFrameView | ScreenFrameView) => void): Promise<void> {
    if (!this.views.has(key)) this.opening.add(key);
    await this.emulator.flush();
    const size = { width: spec.width, height: spec.height };
    const opts = { color: spec.color, cursor: spec.cursor };
    const open = this.views.get(key);
    if (open) open.update(size, opts);
    else if (this.opening.delete(key)) this.views.set(key, new RowStream(this.task, this.emulator.term, size, opts, send, spec.screen));
  }

  unview(key: string): void {
    this.opening.delete(key);
    this.views.get(key)?.close();
    this.views.delete(key);
  }

  /** The keys of the views open now. */
  viewKeys(): string[] {
    return [...this.views.keys()];
  }

  echo(key: string): void {
    this.views.get(key)?.expectEcho();
  }

  /** Resolves once the output so far is parsed and the frames of it are sent. */
  async settle(): Promise<void> {
    await this.emulator.flush();
    for (const v of this.views.values()) v.flushNow();
  }

  /** The emulator's history and screen, rendered, and as plain lines to find them in the log. */
  async history(color: boolean): Promise<ScreenHistory> {
    await this.emulator.flush();
    const emu = this.emulator.term;
    const width = emu.cols;
    const recent: string[] = [];
    const normal = emu.buffer.normal;
    const active = emu.buffer.active;
    const opts = { color, cell: normal.getNullCell() };
    // Rows above `start` came before a flood the emulator skipped: the log has what followed them.
    const start = this.emulator.historyStart();
    for (let y = start; y < normal.baseY; y++) recent.push(renderRow(normal.getLine(y), width, opts));
    for (let y = active.baseY; y < active.baseY + emu.rows; y++) recent.push(renderRow(active.getLine(y), width, opts));
    while (recent.length && recent.at(-1)!.trim() === '') recent.pop();
    const own = logicalLines(normal, start, normal.baseY + (active === normal ? emu.rows : 0));
    return { width, recent, own };
  }

  dispose(): void {
    this.opening.clear();
    for (const v of this.views.values()) v.close();
    this.views.clear();
    this.emulator.dispose();
  }
}

/** Lines of a buffer's rows [from, to), wrapped rows joined, as plain text. */
function logicalLines(
  buf: { getLine(y: number): { isWrapped: boolean; translateToString(trim?: boolean): string } | undefined },
  from: number,
  to: number,
): string[] {
  const out: string[] = [];
  for (let y = from; y < to; y++) {
    const line = buf.getLine(y);
    const text = line?.translateToString(false) ?? '';
    if (line?.isWrapped && out.length) out[out.length - 1] += text;
    else out.push(text);
  }
  return out.map((l) => l.trimEnd());
}
