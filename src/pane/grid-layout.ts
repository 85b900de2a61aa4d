/** A rectangle of the real screen in cells, 0-based (row 0 is the top line of the screen). */
export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

/** One pane of the grid: its title bar row, the body its terminal is drawn in, and the PTY size. */
export interface PaneSlot {
  /** The one-row title bar above the body. */
  title: Rect;
  /** Where the agent's screen is drawn. */
  body: Rect;
  /** What the agent's PTY (and emulator) should be resized to: the body's size. */
  pty: { cols: number; rows: number };
}

/**
 * The panes of a grid, in reading order (left to right, top to bottom), or `too-small` with the
 * smallest area that would fit them, so the UI can say how big the terminal must be.
 */
export type GridLayout =
  | { kind: 'grid'; columns: number; rows: number; panes: PaneSlot[]; separators: Rect[] }
  | { kind: 'too-small'; count: number; needed: { width: number; height: number } };

/** Tuning of {@link gridLayout}. */
export interface GridOptions {
  /** Smallest body a pane may have; below it the layout is `too-small`. Default 20×4. */
  minBody?: { width: number; height: number };
  /** Blank columns between side-by-side panes, for a separator. Default 1. */
  gap?: number;
}

const DEFAULT_MIN = { width: 20, height: 4 };

/** Columns and rows of the grid for `count` panes. */
export function gridShape(count: number, area: Rect): { columns: number; rows: number } {
  if (count <= 0) return { columns: 0, rows: 0 };
  if (count === 1) return { columns: 1, rows: 1 };
  if (count === 2) {
    // A cell is about twice as tall as it is wide: side by side when each half is at least
    // as wide as it is tall on the glass.
    return area.width / 2 >= area.height * 2 ? { columns: 2, rows: 1 } : { columns: 1, rows: 2 };
  }
  // 3–4 → 2×2, 5–6 → 3×2, 7–9 → 3×3, and on in the same way past 9.
  const columns = Math.ceil(Math.sqrt(count));
  return { columns, rows: Math.ceil(count / columns) };
}

/** Splits `total` into `parts` sizes differing by at most one, the larger ones first. */
function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * The grid of `count` panes over `area`: each pane gets a title row and a body. When the last
 * row has fewer panes than columns they share its full width (as tmux's tiled layout does)
 * rather than leaving a hole.
 */
export function gridLayout(count: number, area: Rect, options: GridOptions = {}): GridLayout {
  const min = options.minBody ?? DEFAULT_MIN;
  const gap = options.gap ?? 1;
  const { columns, rows } = gridShape(count, area);
  if (count <= 0) return { kind: 'grid', columns: 0, rows: 0, panes: [], separators: [] };

  const needed = {
    width: columns * min.width + (columns - 1) * gap,
    height: rows * (min.height + 1),
  };
  if (area.width < needed.width || area.height < needed.height) return { kind: 'too-small', count, needed };

  const heights = split(area.height, rows);
  const panes: PaneSlot[] = [];
  const separators: Rect[] = [];
  let top = area.top;
  for (let r = 0; r < rows; r++) {
    const height = heights[r] ?? 0;
    const inRow = Math.min(columns, count - r * columns);
    const widths = split(area.width - (inRow - 1) * gap, inRow);
    let left = area.left;
    for (let c = 0; c < inRow; c++) {
      const width = widths[c] ?? 0;
      const body = { top: top + 1, left, width, height: height - 1 };
      panes.push({ title: { top, left, width, height: 1 }, body, pty: { cols: width, rows: height - 1 } });
      left += width;
      if (c < inRow - 1 && gap > 0) {
        separators.push({ top, left, width: gap, height });
        left += gap;
      }
    }
    top += height;
  }
  return { kind: 'grid', columns, rows, panes, separators };
}
