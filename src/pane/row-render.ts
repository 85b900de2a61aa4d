import type { IBufferCell, IBufferLine } from '@xterm/headless';

/** How {@link renderRow} draws one line. */
export interface RowRenderOptions {
  /**
   * `false` honours NO_COLOR: no colours and no styles, except inverse video, which stays
   * because agents draw their own cursors and selected menu items with it and the source
   * cursor is drawn with it too.
   */
  color: boolean;
  /** Column of the source cursor on this line, drawn as inverse video; omit (or -1) for none. */
  cursorX?: number;
  /**
   * A cell to load each cell into. Pass `buffer.getNullCell()` once per pane so a row costs no
   * allocation; without it one is taken from the line's first cell read.
   */
  cell?: IBufferCell;
}

const RESET = '\x1b[0m';

/** Whether to draw colour: off when NO_COLOR is set to anything but the empty string (no-color.org). */
export function colorEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env['NO_COLOR'];
  return noColor === undefined || noColor === '';
}

// Attribute bits of our own packing: one number per cell keeps the "did anything change"
// test to a few integer comparisons.
const BOLD = 1;
const DIM = 2;
const ITALIC = 4;
const UNDERLINE = 8;
const BLINK = 16;
const INVERSE = 32;
const INVISIBLE = 64;
const STRIKE = 128;
const OVERLINE = 256;

const ON_CODES: ReadonlyArray<readonly [number, string]> = [
  [BOLD, '1'],
  [DIM, '2'],
  [ITALIC, '3'],
  [UNDERLINE, '4'],
  [BLINK, '5'],
  [INVERSE, '7'],
  [INVISIBLE, '8'],
  [STRIKE, '9'],
  [OVERLINE, '53'],
];
// Bold and dim share their "off" code (22), so they are handled apart from these.
const OFF_CODES: ReadonlyArray<readonly [number, string]> = [
  [ITALIC, '23'],
  [UNDERLINE, '24'],
  [BLINK, '25'],
  [INVERSE, '27'],
  [INVISIBLE, '28'],
  [STRIKE, '29'],
  [OVERLINE, '55'],
];

/** The SGR state of the cell being emitted; `mode` is 0 default, 1 palette, 2 RGB. */
interface Sgr {
  flags: number;
  fgMode: number;
  fg: number;
  bgMode: number;
  bg: number;
}

function colorParams(mode: number, value: number, background: boolean): string {
  if (mode === 0) return background ? '49' : '39';
  if (mode === 2) {
    return `${background ? 48 : 38};2;${(value >>> 16) & 255};${(value >>> 8) & 255};${value & 255}`;
  }
  if (value < 8) return String((background ? 40 : 30) + value);
  if (value < 16) return String((background ? 100 : 90) + value - 8);
  return `${background ? 48 : 38};5;${value}`;
}

/** The SGR sequence that takes the terminal from `from` to `to` (both already different). */
function transition(from: Sgr, to: Sgr): string {
  if (to.flags === 0 && to.fgMode === 0 && to.bgMode === 0) return RESET;
  const params: string[] = [];
  const removed = from.flags & ~to.flags;
  let added = to.flags & ~from.flags;
  if (removed & (BOLD | DIM)) {
    params.push('22');
    // 22 clears both, so whichever of the pair stays must be set again.
    added |= to.flags & (BOLD | DIM);
  }
  for (const [bit, code] of OFF_CODES) if (removed & bit) params.push(code);
  for (const [bit, code] of ON_CODES) if (added & bit) params.push(code);
  if (from.fgMode !== to.fgMode || from.fg !== to.fg) params.push(colorParams(to.fgMode, to.fg, false));
  if (from.bgMode !== to.bgMode || from.bg !== to.bg) params.push(colorParams(to.bgMode, to.bg, true));
  return `\x1b[${params.join(';')}m`;
}

/** Reads a cell's attributes into `into`; colour is dropped when `color` is false. */
function readSgr(cell: IBufferCell, color: boolean, into: Sgr): void {
  if (cell.isAttributeDefault()) {
    into.flags = 0;
    into.fgMode = 0;
    into.fg = 0;
    into.bgMode = 0;
    into.bg = 0;
    return;
  }
  if (!color) {
    into.flags = cell.isInverse() ? INVERSE : 0;
    into.fgMode = 0;
    into.fg = 0;
    into.bgMode = 0;
    into.bg = 0;
    return;
  }
  into.flags =
    (cell.isBold() ? BOLD : 0) |
    (cell.isDim() ? DIM : 0) |
    (cell.isItalic() ? ITALIC : 0) |
    (cell.isUnderline() ? UNDERLINE : 0) |
    (cell.isBlink() ? BLINK : 0) |
    (cell.isInverse() ? INVERSE : 0) |
    (cell.isInvisible() ? INVISIBLE : 0) |
    (cell.isStrikethrough() ? STRIKE : 0) |
    (cell.isOverline() ? OVERLINE : 0);
  into.fgMode = cell.isFgRGB() ? 2 : cell.isFgPalette() ? 1 : 0;
  into.fg = into.fgMode === 0 ? 0 : cell.getFgColor();
  into.bgMode = cell.isBgRGB() ? 2 : cell.isBgPalette() ? 1 : 0;
  into.bg = into.bgMode === 0 ? 0 : cell.getBgColor();
}

function copySgr(from: Sgr, to: Sgr): void {
  to.flags = from.flags;
  to.fgMode = from.fgMode;
  to.fg = from.fg;
  to.bgMode = from.bgMode;
  to.bg = from.bg;
}

function sameSgr(a: Sgr, b: Sgr): boolean {
  return a.flags === b.flags && a.fgMode === b.fgMode && a.fg === b.fg && a.bgMode === b.bgMode && a.bg === b.bg;
}

// Module-level scratch state: rendering is synchronous, so one pair serves every call.
const current: Sgr = { flags: 0, fgMode: 0, fg: 0, bgMode: 0, bg: 0 };
const next: Sgr = { flags: 0, fgMode: 0, fg: 0, bgMode: 0, bg: 0 };

/**
 * One buffer line as exactly `cols` cells of text with SGR sequences, starting and ending in
 * the default attributes so rows can be written anywhere in any order. Wide characters
 * take two cells; one that would straddle the right edge becomes a space. A missing line
 * (`undefined`) renders as blanks.
 */
export function renderRow(line: IBufferLine | undefined, cols: number, opts: RowRenderOptions): string {
  const { color } = opts;
  const cursorX = opts.cursorX ?? -1;
  current.flags = 0;
  current.fgMode = 0;
  current.fg = 0;
  current.bgMode = 0;
  current.bg = 0;
  let out = '';
  let used = 0; // output cells emitted
  if (line !== undefined) {
    const end = Math.min(line.length, cols);
    let cell = opts.cell;
    let x = 0; // source cell index
    while (x < end) {
      const loaded = line.getCell(x, cell);
      if (loaded === undefined) break;
      cell = loaded;
      const width = cell.getWidth();
      if (width === 0) {
        // The placeholder after a wide character: the glyph already covered it.
        x++;
        continue;
      }
      readSgr(cell, color, next);
      if (cursorX === x || (width === 2 && cursorX === x + 1)) next.flags ^= INVERSE;
      if (!sameSgr(current, next)) {
        out += transition(current, next);
        copySgr(next, current);
      }
      if (width === 2 && used + 2 > cols) {
        // Half a glyph cannot be drawn; a space keeps the row exactly `cols` wide.
        out += ' ';
        used++;
        break;
      }
      const chars = cell.getChars();
      out += chars === '' ? ' ' : chars;
      used += width;
      x += width;
    }
  }
  const styled = current.flags !== 0 || current.fgMode !== 0 || current.bgMode !== 0;
  if (used >= cols) return styled ? out + RESET : out;
  // Past the source line (a pane wider than the PTY) cells are blank in default colours.
  if (styled) out += RESET;
  if (cursorX < used || cursorX >= cols) return out + ' '.repeat(cols - used);
  return out + ' '.repeat(cursorX - used) + '\x1b[7m \x1b[27m' + ' '.repeat(cols - cursorX - 1);
}
