import type { IBufferCell, IDisposable, Terminal } from '@xterm/headless';
import type { Rect } from './grid-layout.js';
import { renderRow, type RowRenderOptions } from './row-render.js';

/**
 * What a pane reads from its terminal. The headless `Terminal` (`Emulator.term`) satisfies it;
 * tests and other emulators can supply the same shape.
 */
export type PaneSource = Pick<Terminal, 'cols' | 'rows' | 'buffer' | 'modes' | 'onWriteParsed' | 'onResize' | 'onScroll'>;

/** How a {@link PaneRenderer} draws. */
export interface PaneRendererOptions {
  /** `false` for NO_COLOR. Default true. */
  color?: boolean;
  /** Draw the source's cursor as inverse video (the focused pane). Default false. */
  showCursor?: boolean;
  /** Lines scrolled back into history; 0 (the default) shows the live screen. */
  scrollOffset?: number;
  /**
   * Frames to hold back while the source is inside a synchronized update (`CSI ? 2026 h`), so
   * an agent's half-painted screen is not shown; after this many the pane draws anyway, as
   * terminals do when the end of the update never comes. Default 10.
   */
  maxSyncHold?: number;
}

// Exact cursor visibility (DECTCEM) is not in xterm's public API; read the core's flag when it
// is there and treat the cursor as visible when it is not.
interface CursorHiddenProbe {
  _core?: { coreService?: { isCursorHidden?: unknown } };
}

/**
 * Draws a terminal's screen into a rectangle of the real screen, emitting only the rows whose
 * rendered text changed since the last frame. A pane whose terminal parsed nothing since the
 * last frame costs nothing: no row is read.
 */
export class PaneRenderer {
  private readonly source: PaneSource;
  private readonly subscriptions: IDisposable[];
  /** Reused for every row: a frame allocates nothing but the strings it builds. */
  private readonly rowOptions: RowRenderOptions & { cell: IBufferCell; cursorX: number };
  private box: Rect;
  private cursor: boolean;
  private offset: number;
  private readonly maxSyncHold: number;
  /** What each row of the rectangle shows now; `undefined` forces that row to be drawn. */
  private shown: (string | undefined)[];
  private dirty = true;
  private held = 0;
  /** baseY when the offset was last applied, to keep a scrolled-back view on its lines. */
  private pinnedBase: number;

  constructor(source: PaneSource, rect: Rect, options: PaneRendererOptions = {}) {
    this.source = source;
    this.box = { ...rect };
    this.cursor = options.showCursor ?? false;
    this.offset = Math.max(0, options.scrollOffset ?? 0);
    this.maxSyncHold = options.maxSyncHold ?? 10;
    this.shown = new Array<string | undefined>(rect.height).fill(undefined);
    this.rowOptions = { color: options.color ?? true, cell: source.buffer.active.getNullCell(), cursorX: -1 };
    this.pinnedBase = source.buffer.active.baseY;
    const touch = (): void => {
      this.dirty = true;
    };
    // Every change to the buffer arrives through a parsed write, a resize or a scroll; buffer
    // switches (alternate screen) happen inside a write.
    this.subscriptions = [source.onWriteParsed(touch), source.onResize(touch), source.onScroll(touch)];
  }

  /** The rectangle this pane draws into. */
  get rect(): Rect {
    return { ...this.box };
  }

  /**
   * Whether the next frame may draw something. A frame loop can draw the focused pane as soon
   * as this turns true after a keystroke instead of waiting for its tick.
   */
  get pending(): boolean {
    return this.dirty;
  }

  /** Lines scrolled back from the live screen (0 = live). */
  get scrollOffset(): number {
    return this.offset;
  }

  /** How far back the history goes for the current rectangle. */
  get maxScrollOffset(): number {
    const buf = this.source.buffer.active;
    return Math.max(0, buf.baseY + this.source.rows - this.box.height);
  }

  /** Moves the pane (layout change). A new position or size redraws every row. */
  setRect(rect: Rect): void {
    const b = this.box;
    if (b.top === rect.top && b.left === rect.left && b.width === rect.width && b.height === rect.height) return;
    this.box = { ...rect };
    this.shown = new Array<string | undefined>(rect.height).fill(undefined);
    this.dirty = true;
  }

  /** Forgets what is on screen so the next frame redraws every row (after something drew over it). */
  invalidate(): void {
    this.shown.fill(undefined);
    this.dirty = true;
  }

  /** Whether to draw the source cursor, e.g. when the pane gains or loses focus. */
  setShowCursor(show: boolean): void {
    if (show === this.cursor) return;
    this.cursor = show;
    this.dirty = true;
  }

  /** Switches colour on or off (NO_COLOR); redraws every row. */
  setColor(color: boolean): void {
    if (color === this.rowOptions.color) return;
    this.rowOptions.color = color;
    this.invalidate();
  }

  /** Shows history: `lines` back from the live screen, clamped to what exists. */
  setScrollOffset(lines: number): void {
    const next = Math.min(Math.max(0, Math.trunc(lines)), this.maxScrollOffset);
    this.pinnedBase = this.source.buffer.active.baseY;
    if (next === this.offset) return;
    this.offset = next;
    this.dirty = true;
  }

  /** Scrolls by `lines` (positive = further back into history). */
  scrollBy(lines: number): void {
    this.setScrollOffset(this.offset + lines);
  }

  /**
   * The escape sequences that bring the rectangle up to date: each changed row, cursor-addressed
   * and ending in default attributes; `''` when nothing changed.
   */
  frame(): string {
    if (!this.dirty) return '';
    if (this.source.modes.synchronizedOutputMode && this.held < this.maxSyncHold) {
      this.held++;
      return '';
    }
    this.held = 0;
    this.dirty = false;

    const buf = this.source.buffer.active;
    const { top, left, width, height } = this.box;
    this.followHistory(buf.baseY);
    // The last `height` lines of the screen, so the prompt and cursor stay in view while the
    // PTY still has more rows than the pane; top-aligned when the buffer is shorter.
    const first = Math.max(0, buf.baseY + this.source.rows - height - this.offset);
    let cursorLine = -1;
    let cursorX = -1;
    if (this.cursor && this.cursorVisible()) {
      cursorLine = buf.baseY + buf.cursorY;
      // After writing the last column the cursor waits past the edge (pending wrap).
      cursorX = Math.min(buf.cursorX, this.source.cols - 1);
    }

    let out = '';
    for (let r = 0; r < height; r++) {
      const y = first + r;
      this.rowOptions.cursorX = y === cursorLine ? cursorX : -1;
      // getLine wraps around past the end of the buffer (it is a ring): a pane taller than the
      // terminal would show its top rows again below it.
      const text = renderRow(y < buf.length ? buf.getLine(y) : undefined, width, this.rowOptions);
      if (text === this.shown[r]) continue;
      this.shown[r] = text;
      out += `\x1b[${top + r + 1};${left + 1}H${text}`;
    }
    return out;
  }

  /**
   * Where the source cursor is within the rectangle (0-based), as the last frame showed the
   * screen; null when the program hid it or it lies outside the rectangle.
   */
  cursorInView(): { x: number; y: number } | null {
    if (!this.cursorVisible()) return null;
    const buf = this.source.buffer.active;
    const first = Math.max(0, buf.baseY + this.source.rows - this.box.height - this.offset);
    const y = buf.baseY + buf.cursorY - first;
    // After writing the last column the cursor waits past the edge (pending wrap).
    const x = Math.min(buf.cursorX, this.source.cols - 1);
    return y >= 0 && y < this.box.height && x < this.box.width ? { x, y } : null;
  }

  /** Stops listening to the source. */
  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  /**
   * While scrolled back, new output must not move the lines being read (as in tmux copy mode).
   * Once the scrollback is full baseY stops growing and trimmed lines slide the view; the public
   * API gives no count of trimmed lines, and a drifting view of a full history is harmless.
   */
  private followHistory(baseY: number): void {
    if (this.offset > 0 && baseY > this.pinnedBase) this.offset += baseY - this.pinnedBase;
    this.pinnedBase = baseY;
    this.offset = Math.min(this.offset, this.maxScrollOffset);
  }

  private cursorVisible(): boolean {
    const hidden = (this.source as CursorHiddenProbe)._core?.coreService?.isCursorHidden;
    return hidden !== true;
  }
}
