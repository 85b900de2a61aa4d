import { Box, Text } from 'ink';
import { cell } from '../text.js';

export interface Column<T> {
  title: string;
  width: number | 'fill';
  value: (row: T) => string;
  color?: (row: T) => string | undefined;
}

/**
 * A plain table that shows the rows around the selected one, within `height` lines. The
 * selection is an identity (`keyOf`), so it stays on the same item when rows move.
 */
export function Table<T>({ rows, columns, keyOf, selected, height, width, empty }: { rows: T[]; columns: Column<T>[]; keyOf: (row: T) => string | number; selected: string | number | null; height: number; width: number; empty: string }) {
  const fixed = columns.reduce((n, c) => n + (c.width === 'fill' ? 0 : c.width + 1), 0);
  const fill = Math.max(8, width - fixed - 1);
  const widths = columns.map((c) => (c.width === 'fill' ? fill : c.width));
  const body = Math.max(1, height - 1);
  const at = Math.max(0, rows.findIndex((r) => keyOf(r) === selected));
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
