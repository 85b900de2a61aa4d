/** Anything that brings its part of the screen up to date: a pane, a title bar. */
export interface FrameSource {
  /** Cursor-addressed escape sequences, or `''` when its part of the screen is current. */
  frame(): string;
}

/** What happens to the real cursor around a frame. */
export interface FrameOptions {
  /**
   * Where to leave the real cursor (0-based screen cell). Omitted, it goes back where it was
   * (DECSC/DECRC), which is what a renderer that moves relative to its own last position (Ink)
   * needs.
   */
  cursorAt?: { row: number; col: number };
  /**
   * Show the real cursor after the frame. A terminal cannot be asked synchronously whether its
   * cursor was visible, so the caller says; default false (the TUI keeps it hidden).
   */
  cursorVisible?: boolean;
}

const SYNC_BEGIN = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const SAVE_CURSOR = '\x1b7';
const RESTORE_CURSOR = '\x1b8';

/**
 * `body` as one synchronized update (terminals that support mode 2026 show it all at once,
 * others ignore the mode) with the cursor hidden while rows are written; `''` for an empty body,
 * so an idle screen costs no write at all.
 */
export function wrapFrame(body: string, options: FrameOptions = {}): string {
  if (body === '') return '';
  const { cursorAt, cursorVisible = false } = options;
  const before = cursorAt === undefined ? SAVE_CURSOR : '';
  const after = cursorAt === undefined ? RESTORE_CURSOR : `\x1b[${cursorAt.row + 1};${cursorAt.col + 1}H`;
  return `${SYNC_BEGIN}${HIDE_CURSOR}${before}${body}${after}${cursorVisible ? SHOW_CURSOR : ''}${SYNC_END}`;
}

/** Every part's frame (sources are asked, strings are taken as they are) as one wrapped write. */
export function composeFrame(parts: Iterable<FrameSource | string>, options: FrameOptions = {}): string {
  let body = '';
  for (const part of parts) body += typeof part === 'string' ? part : part.frame();
  return wrapFrame(body, options);
}

/**
 * Writes composed frames to the terminal in one `write` each and counts them, so the cost of
 * the live grid can be read as frames and bytes.
 */
export class FrameWriter {
  private readonly write: (data: string) => void;
  /** Frames that wrote something. */
  frames = 0;
  /** Characters written (escape sequences included). */
  chars = 0;

  constructor(write: (data: string) => void) {
    this.write = write;
  }

  /** Draws what changed; returns whether anything was written. */
  draw(parts: Iterable<FrameSource | string>, options: FrameOptions = {}): boolean {
    const data = composeFrame(parts, options);
    if (data === '') return false;
    this.write(data);
    this.frames++;
    this.chars += data.length;
    return true;
  }
}
