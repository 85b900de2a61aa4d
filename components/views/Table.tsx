import { Box, Text } from 'ink';
import { cell } from '../text.js';

export interface Column<T> {
  title: string;
  /**
   * A number of columns; `fill` takes what the others leave; `auto` is as wide as its widest
   * value (within `min`…`max`), and auto columns give up room in proportion to their need when
   * the table is too narrow for all of them.
   */
  width: number | 'fill' | 'auto';
  min?: number;
  max?: number;
  value: (row: T) => string;
  color?: (row: T) => string | undefined;
}

/**
 * The width of each column for `rows` in `width` terminal columns (one space between them).
 * Auto columns are sized by their content, so a short TITLE column leaves its room to a long
 * REASON instead of padding itself with blanks.
 */
export function columnWidths<T>(columns: readonly Column<T>[], rows: readonly T[], width: number): number[] {
  const gaps = Math.max(0, columns.length - 1);
  const fixed = columns.reduce((n, c) => n + (typeof c.width === 'number' ? c.width : 0), 0);
  const autos = columns.map((c) => {
    if (c.width !== 'auto') return 0;
    const widest = rows.reduce((n, r) => Math.max(n, flat(c.value(r)).length), c.title.length);
    return Math.max(c.min ?? c.title.length, Math.min(c.max ?? Infinity, widest));
  });
  const fills = columns.filter((c) => c.width === 'fill').length;
  let room = Math.max(0, width - fixed - gaps);
  const need = autos.reduce((a, b) => a + b, 0);
  let sized = autos;
  if (need > room - fills * 8) sized = shrink(columns, autos, Math.max(0, room - fills * 8));
  room -= sized.reduce((a, b) => a + b, 0);
  const fill = fills ? Math.max(8, Math.floor(room / fills)) : 0;
  return columns.map((c, i) => (typeof c.width === 'number' ? c.width : c.width === 'fill' ? fill : sized[i]!));
}

/** The widest auto columns are cut to one common cap, never below their minimum, until they fit. */
function shrink<T>(columns: readonly Column<T>[], natural: number[], room: number): number[] {
  const floor = columns.map((c, i) => (c.width === 'auto' ? Math.min(natural[i]!, c.min ?? c.title.length) : 0));
  const at = (cap: number) => natural.map((n, i) => (columns[i]!.width === 'auto' ? Math.max(floor[i]!, Math.min(n, cap)) : 0));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  let lo = 0;
  let hi = Math.max(0, ...natural);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(at(mid)) <= room) lo = mid;
    else hi = mid - 1;
  }
  const widths = at(lo);
  // Hand out what the common cap left, one column each, widest need first.
  let left = room - sum(widths);
  for (const i of natural
    .map((n, i) => [n, i] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i)) {
    if (left <= 0) break;
    if (columns[i]!.width === 'auto' && widths[i]! < natural[i]!) {
      widths[i]!++;
      left--;
    }
  }
  return widths;
}

const flat = (s: string) => s.replace(/[\r\n\t]+/g, ' ');

/**
 * A plain table that shows the rows around the selected one, within `height` lines. The
 * selection is an identity (`keyOf`), so it stays on the same item when rows move.
 */
export function Table<T>({
  rows,
  columns,
  keyOf,
  selected,
  height,
  width,
  empty,
}: {
  rows: T[];
  columns: Column<T>[];
  keyOf: (row: T) => string | number;
  selected: string | number | null;
  height: number;
  width: number;
  empty: string;
}) {
  const widths = columnWidths(columns, rows, width - 1);
  const body = Math.max(1, height - 1);
  const at = Math.max(
    0,
    rows.findIndex((r) => keyOf(r) === selected),
  );
  const start = Math.max(0, Math.min(at - Math.floor(body / 2), rows.length - body));
  const shown = rows.slice(start, start + body);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {columns.map((c, i) => cell(c.title, widths[i]!)).join(' ')}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor>{empty}</Text>
      ) : (
        shown.map((row) => {
          const isSel = keyOf(row) === selected;
          return (
            <Text key={String(keyOf(row))} inverse={isSel} wrap="truncate">
              {columns.map((c, i) => (
                <Text key={c.title} color={isSel ? undefined : c.color?.(row)}>
                  {cell(c.value(row), widths[i]!)}
                  {i < columns.length - 1 ? ' ' : ''}
                </Text>
              ))}
            </Text>
          );
        })
      )}
    </Box>
  );
}
