import { stripVTControlCharacters } from 'node:util';
import type { ResultOf } from '../../src/protocol/methods.js';
import { HEADER_ROWS } from '../layout.js';
import type { FormState, Overlay } from './cockpit-state.js';

export type ScrollbackOverlay = Extract<Overlay, { kind: 'scrollback' }>;

/** Rows of output the reader shows at once in a terminal of `rows` (header, title, footer, status line). */
export function readerRows(size: { rows: number }): number {
  return Math.max(1, size.rows - HEADER_ROWS - 4);
}

/** `text` cut into rows of at most `width` characters (at least one row, even when empty). */
function wrap(text: string, width: number): string[] {
  const chars = [...text];
  if (chars.length <= width) return [text];
  const rows: string[] = [];
  for (let at = 0; at < chars.length; at += width) rows.push(chars.slice(at, at + width).join(''));
  return rows;
}

/**
 * The reader for an agent's output, opened at its newest line (`pagesUp` pages above it): the
 * log's older lines wrapped to the view, a marker row, then the emulator's rows as they are.
 */
export function openScrollback(
  task: number,
  h: ResultOf<'term.history'>,
  view: { width: number; height: number },
  opts: { reattach: boolean; pagesUp: number },
): ScrollbackOverlay {
  const older = h.older.flatMap((l) => wrap(l, Math.max(10, view.width)));
  const marker =
    h.older.length || h.dropped
      ? [`\x1b[2m── above: older output, from the terminal log${h.dropped ? ` (${h.dropped} lines before it: muster log ${task})` : ''} ──\x1b[0m`]
      : [];
  const rows = [...older, ...marker, ...h.recent];
  const o: ScrollbackOverlay = {
    kind: 'scrollback',
    task,
    rows,
    plain: rows.map((r) => stripVTControlCharacters(r)),
    olderRows: older.length + marker.length,
    dropped: h.dropped,
    top: 0,
    mark: null,
    query: '',
    search: null,
    note: rows.length ? null : `#${task} has written nothing yet.`,
    reattach: opts.reattach,
  };
  return scrollTo(o, rows.length - view.height * (1 + opts.pagesUp), view.height);
}

/** Puts `top` at `row` (clamped so the view stays full), given `height` rows of view. */
export function scrollTo(o: ScrollbackOverlay, row: number, height: number): ScrollbackOverlay {
  const max = Math.max(0, o.rows.length - Math.max(1, height));
  return { ...o, top: Math.max(0, Math.min(max, Number.isFinite(row) ? Math.trunc(row) : max)) };
}

/**
 * The overlay for a terminal now `size` big: a reader that grew shows more of the older lines
 * above instead of blank rows under its newest one.
 */
export function fitOverlay(o: Overlay | null, size: { rows: number }): Overlay | null {
  return o?.kind === 'scrollback' ? scrollTo(o, o.top, readerRows(size)) : o;
}

/** Scrolls by `delta` rows. */
export function scrollBy(o: ScrollbackOverlay, delta: number, height: number): ScrollbackOverlay {
  return scrollTo(o, o.top + delta, height);
}

/**
 * The next row, from the last match (or the bottom of the view) towards older (`up`) or newer
 * output, that contains `query` (case-insensitive), brought into view; a note when there is none.
 */
export function findMatch(o: ScrollbackOverlay, query: string, up: boolean, height: number): ScrollbackOverlay {
  const q = query.toLowerCase();
  if (!q) return { ...o, note: 'Type something to search for after /.' };
  const from = o.mark ?? (up ? o.top + height : o.top - 1);
  const step = up ? -1 : 1;
  for (let i = from + step; i >= 0 && i < o.plain.length; i += step) {
    if (!o.plain[i]!.toLowerCase().includes(q)) continue;
    const visible = i >= o.top && i < o.top + height;
    const moved = visible ? o : scrollTo(o, i - Math.floor(height / 2), height);
    return { ...moved, mark: i, query, note: null };
  }
  return { ...o, query, note: `No ${up ? 'older' : 'newer'} line contains "${query}".` };
}

/** The search prompt, holding the last query. */
export function searchForm(o: ScrollbackOverlay): FormState {
  return {
    kind: 'search',
    title: 'Search',
    task: o.task,
    focus: 0,
    error: null,
    fields: [{ name: 'query', label: 'Search', value: o.query, hint: 'enter finds it in older output; n and N go on' }],
  };
}
