import type { HeadlessTerminal } from '../pty/emulator.js';
import { PaneRenderer } from '../../pane/pane-renderer.js';
import { readScreenModes, sameScreenModes, type ScreenModes } from '../../pane/terminal-modes.js';
import type { RowFrameView, ScreenFrameView } from '../../protocol/shapes.js';
import { injectedFault, logFault } from './test-faults.js';

/** How a stream draws. */
export interface RowStreamOptions {
  color: boolean;
  /** Draw the agent's cursor into the rows as inverse video (the selected pane). */
  cursor: boolean;
}

const MIN_FRAME_MS = 33;
/** After a keystroke, frames go out as soon as the echo is parsed, for this long. */
const ECHO_MS = 150;
const ADDRESS = /\x1b\[(\d+);\d+H/g;

/**
 * Sends a client the changed rows of one agent's screen, rendered in the terminal worker where
 * the emulator is, at most ~30 frames a second however fast the agent writes. Neither the
 * supervisor (which passes frames on) nor the client pays for parsing the agent's output. With `screen`, each frame also says
 * where the real cursor goes and which input modes the agent wants (a full-screen attach): no
 * byte of the agent's output ever reaches the operator's terminal, so nothing it turns on can
 * leak out of the view.
 */
export class RowStream {
  private readonly renderer: PaneRenderer;
  private timer: NodeJS.Timeout | null = null;
  private lastFrameAt = 0;
  private full = true;
  private readonly unsubscribe: () => void;
  private sentCursor: string | undefined;
  private sentModes: ScreenModes | null = null;
  private echoUntil = 0;
  /** Closed, or failed: a fault in drawing one view closes that view only (the agent and every other view go on). */
  private closed = false;

  constructor(
    private readonly task: number,
    private readonly term: HeadlessTerminal,
    private size: { width: number; height: number },
    opts: RowStreamOptions,
    private readonly send: (frame: RowFrameView | ScreenFrameView) => void,
    private readonly screen = false,
  ) {
    this.renderer = new PaneRenderer(term, { top: 0, left: 0, ...size }, { color: opts.color, showCursor: opts.cursor && !screen });
    // Frames follow what the emulator has parsed, not what has arrived: xterm parses in chunks
    // after the bytes come in, and a frame taken in between would be the last one.
    const subs = [term.onWriteParsed(() => this.schedule()), term.onResize(() => this.schedule())];
    this.unsubscribe = () => {
      for (const s of subs) s.dispose();
    };
    this.schedule();
  }

  /** New size or options from the client: the next frame is a full one. */
  update(size: { width: number; height: number }, opts: RowStreamOptions): void {
    if (this.closed) return;
    this.size = size;
    this.renderer.setRect({ top: 0, left: 0, ...size });
    this.renderer.setColor(opts.color);
    this.renderer.setShowCursor(opts.cursor && !this.screen);
    this.renderer.invalidate();
    this.full = true;
    this.schedule();
  }

  /**
   * The operator just typed into this agent: what it echoes is drawn at once, not on the next
   * frame tick (typing feels direct; the frame rate cap is for output nobody is waiting on).
   */
  expectEcho(): void {
    this.echoUntil = Date.now() + ECHO_MS;
  }

  private schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    if (now < this.echoUntil) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.guardedFlush();
      }, 0);
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, MIN_FRAME_MS - (now - this.lastFrameAt));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.guardedFlush();
    }, wait);
  }

  /** A frame due soon goes out now (before an exit is told, so the last rows come first). */
  flushNow(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.guardedFlush();
  }

  /** Runs on a timer: a throw here would end the whole process, and with it every agent. */
  private guardedFlush(): void {
    try {
      injectedFault('view', this.task);
      this.flush();
    } catch (e) {
      logFault(`a view of task #${this.task} failed and was closed (the agent runs on)`, e);
      this.close();
    }
  }

  private flush(): void {
    this.lastFrameAt = Date.now();
    const out = this.renderer.frame();
    const frame = { task: this.task, width: this.size.width, height: this.size.height, rows: out ? rowsOf(out) : [], full: this.full };
    if (this.screen) {
      const cursor = this.renderer.cursorInView();
      const modes = readScreenModes(this.term);
      const cursorKey = JSON.stringify(cursor);
      const moved = cursorKey !== this.sentCursor || !this.sentModes || !sameScreenModes(modes, this.sentModes);
      // A screen the agent is still painting (synchronized output) is held back a few frames.
      if (!out && !moved && !this.full) {
        if (this.renderer.pending) this.schedule();
        return;
      }
      if (!out && this.renderer.pending) {
        this.schedule();
        return;
      }
      this.sentCursor = cursorKey;
      this.sentModes = modes;
      this.send({ ...frame, cursor, modes });
      this.full = false;
      return;
    }
    if (!out) {
      if (this.renderer.pending) this.schedule();
      return;
    }
    this.send(frame);
    this.full = false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe();
    this.renderer.dispose();
  }
}

/** The cursor-addressed rows of a pane frame, as (row, text) pairs. */
function rowsOf(out: string): [number, string][] {
  const rows: [number, string][] = [];
  let m: RegExpExecArray | null;
  let prev: { row: number; end: number } | null = null;
  ADDRESS.lastIndex = 0;
  while ((m = ADDRESS.exec(out))) {
    if (prev) rows.push([prev.row, out.slice(prev.end, m.index)]);
    prev = { row: Number(m[1]) - 1, end: m.index + m[0].length };
  }
  if (prev) rows.push([prev.row, out.slice(prev.end)]);
  return rows;
}
