import { Box, Text } from 'ink';
import type { Overlay } from '../model/cockpit-state.js';
import { readerRows } from '../model/scrollback.js';
import type { Theme } from '../theme.js';
import { FieldRows } from './Dialogs.js';

/**
 * An agent's output to read, full width: a title with where the view is, the rows (the last
 * match in inverse video), and a footer with the search prompt or what the last key found.
 */
export function ScrollbackView({
  overlay: o,
  size,
  theme,
}: {
  overlay: Extract<Overlay, { kind: 'scrollback' }>;
  size: { cols: number; rows: number };
  theme: Theme;
}) {
  const height = readerRows(size);
  const shown = o.rows.slice(o.top, o.top + height);
  const last = Math.min(o.rows.length, o.top + height);
  const where = o.rows.length ? `lines ${o.top + 1}–${last} of ${o.rows.length}${o.top < o.olderRows ? ' · from the terminal log' : ''}` : 'empty';
  return (
    <Box flexDirection="column" width={size.cols} height={height + 2}>
      <Text bold color={theme.accent} wrap="truncate">{`#${o.task} output — ${where} · / search · n older · N newer · esc back`}</Text>
      {shown.map((row, i) => (
        <Text key={o.top + i} wrap="truncate" inverse={o.top + i === o.mark}>
          {row || ' '}
        </Text>
      ))}
      {Array.from({ length: height - shown.length }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      {o.search ? (
        <FieldRows field={o.search.fields[0]!} focused width={size.cols} theme={theme} />
      ) : (
        <Text wrap="truncate" color={o.note ? theme.warn : undefined} dimColor={!o.note}>
          {o.note ?? (o.query ? `searching for "${o.query}": n older, N newer` : ' ')}
        </Text>
      )}
    </Box>
  );
}
