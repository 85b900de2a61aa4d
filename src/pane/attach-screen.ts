import { wrapFrame } from './frame-writer.js';
import { DEFAULT_SCREEN_MODES, screenModeChanges, type ScreenModes } from './terminal-modes.js';

/** A frame of an attached agent's screen, as the supervisor sends it (topic `screen`). */
export interface ScreenFrameData {
  width: number;
  height: number;
  rows: readonly (readonly [number, string])[];
  full: boolean;
  cursor: { x: number; y: number } | null;
  modes: ScreenModes;
}

/** A size in cells. */
export interface CellSize {
  cols: number;
  rows: number;
}

/**
 * The operator's terminal while it shows one agent full-screen: the agent's rows as the
 * supervisor's emulator draws them, the real cursor where the agent's is, the input modes the
 * agent asked for (so its keys, mouse and pastes arrive as it expects), and an optional hint on
 * the last row. Only what this class wrote is ever undone, so `end()` puts the terminal back
 * exactly as it found it.
 */
export class AttachScreen {
  private size: CellSize;
  private modes: ScreenModes = { ...DEFAULT_SCREEN_MODES };
  private hint: string | null;

  constructor(
    size: CellSize,
    private readonly write: (data: string) => void,
    hint: string | null = null,
  ) {
    this.size = { ...size };
    this.hint = hint;
  }

  /** The part of the terminal the agent's screen gets: all of it, less the hint's row. */
  get view(): CellSize {
    return { cols: Math.max(1, this.size.cols), rows: Math.max(1, this.size.rows - (this.hint === null ? 0 : 1)) };
  }

  /** Starts on a blank screen with the cursor hidden until the agent's first frame places it. */
  begin(): void {
    this.write(`\x1b[?25l\x1b[0m\x1b[H\x1b[2J${this.hintText()}`);
  }

  /** The terminal changed size: blank it; the next full frame (at the new size) fills it. */
  resize(size: CellSize): void {
    this.size = { ...size };
    this.begin();
  }

  /** Changes the hint (e.g. to say the agent exited); drawn with the next write. */
  setHint(hint: string): void {
    this.hint = hint;
    this.write(wrapFrame(this.hintText()));
  }

  /** Draws a frame; one for another size (sent before a resize was heard) is skipped. */
  frame(f: ScreenFrameData): void {
    const view = this.view;
    if (f.width !== view.cols || f.height !== view.rows) return;
    let body = '';
    for (const [y, text] of f.rows) if (y < view.rows) body += `\x1b[${y + 1};1H${text}`;
    body += screenModeChanges(this.modes, f.modes);
    this.modes = { ...f.modes };
    if (f.cursor) body += `\x1b[${f.cursor.y + 1};${f.cursor.x + 1}H`;
    // Hidden while the rows are written, shown again (where the agent has it) at the end.
    this.write(
      wrapFrame(body, { cursorAt: f.cursor ? { row: f.cursor.y, col: f.cursor.x } : { row: view.rows - 1, col: 0 }, cursorVisible: f.cursor !== null }),
    );
  }

  /** Every mode the agent's frames turned on, turned off again; attributes reset. */
  end(): string {
    const out = `${screenModeChanges(this.modes, DEFAULT_SCREEN_MODES)}\x1b[0m`;
    this.modes = { ...DEFAULT_SCREEN_MODES };
    return out;
  }

  // Rows are cursor-addressed and never reach the hint's row, so it is drawn only when it
  // changes or the screen is blanked.
  private hintText(): string {
    if (this.hint === null) return '';
    const { cols, rows } = this.size;
    return `\x1b[${rows};1H\x1b[0;7m${this.hint.slice(0, cols).padEnd(cols)}\x1b[0m`;
  }
}
