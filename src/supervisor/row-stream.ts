import { PaneRenderer } from '../pane/pane-renderer.js';
import type { TaskTerminal } from '../adapters/pty/task-terminal.js';

/** One frame of a pane: the rows that changed (0-based within the pane), and the cursor. */
export interface RowFrame {
  task: number;
  width: number;
  height: number;
  rows: [number, string][];
  full: boolean;
}

const MIN_FRAME_MS = 33;
const ADDRESS = /\x1b\[(\d+);\d+H/g;

/**
 * Sends a client the changed rows of one agent's screen, rendered here where the emulator
 * already is, at most ~30 frames a second however fast the agent writes. The client pays
 * for drawing rows, never for parsing the agent's output.
 */
export class RowStream {
  private readonly renderer: PaneRenderer;
  private timer: NodeJS.Timeout | null = null;
  private lastFrameAt = 0;
  private full = true;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly task: number,
    private readonly term: TaskTerminal,
    private size: { width: number; height: number },
    opts: { color: boolean; cursor: boolean },
    private readonly send: (frame: RowFrame) => void,
  ) {
    this.renderer = new PaneRenderer(term.emulator.term, { top: 0, left: 0, ...size }, { color: opts.color, showCursor: opts.cursor });
    // Frames follow what the emulator has parsed, not what has arrived: xterm parses in chunks
    // after the bytes come in, and a frame taken in between would be the last one.
    const emu = term.emulator.term;
    const subs = [emu.onWriteParsed(() => this.schedule()), emu.onResize(() => this.schedule())];
    this.unsubscribe = () => {
      for (const s of subs) s.dispose();
    };
    this.schedule();
  }

  /** New size or options from the client: the next frame is a full one. */
  update(size: { width: number; height: number }, opts: { color: boolean; cursor: boolean }): void {
    this.size = size;
    this.renderer.setRect({ top: 0, left: 0, ...size });
    this.renderer.setColor(opts.color);
    this.renderer.setShowCursor(opts.cursor);
    this.renderer.invalidate();
    this.full = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, MIN_FRAME_MS - (Date.now() - this.lastFrameAt));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    this.lastFrameAt = Date.now();
    const out = this.renderer.frame();
    // A screen the agent is still painting (synchronized output) is held back a few frames.
    if (!out) {
      if (this.renderer.pending) this.schedule();
      return;
    }
    const rows: [number, string][] = [];
    let m: RegExpExecArray | null;
    let prev: { row: number; end: number } | null = null;
    ADDRESS.lastIndex = 0;
    while ((m = ADDRESS.exec(out))) {
      if (prev) rows.push([prev.row, out.slice(prev.end, m.index)]);
      prev = { row: Number(m[1]) - 1, end: m.index + m[0].length };
    }
    if (prev) rows.push([prev.row, out.slice(prev.end)]);
    this.send({ task: this.task, width: this.size.width, height: this.size.height, rows, full: this.full });
    this.full = false;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe();
    this.renderer.dispose();
  }
}
