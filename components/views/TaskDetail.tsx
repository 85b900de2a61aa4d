import { Box, Text } from 'ink';
import type { KeyBinding } from '../../src/keymap/index.js';
import type { ConflictView } from '../../src/protocol/shapes.js';
import { overlayLines, type DetailLine } from '../model/detail-lines.js';
import type { Overlay } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';

/** One task in full, scrollable; for a conflict's tasks, tab steps between them. */
export function TaskDetailOverlay({
  overlay,
  conflicts,
  bindings,
  height,
  width,
  theme,
}: {
  overlay: Extract<Overlay, { kind: 'detail' }>;
  conflicts: readonly ConflictView[];
  bindings: readonly KeyBinding[];
  height: number;
  width: number;
  theme: Theme;
}) {
  const lines = overlayLines(overlay, width - 1, bindings, { conflicts });
  const page = Math.max(1, height - 1);
  const scroll = Math.max(0, Math.min(overlay.scroll, lines.length - page));
  const many =
    overlay.tasks.length > 1 ? ` · task ${overlay.index + 1} of ${overlay.tasks.length} (${overlay.tasks.map((t) => `#${t}`).join(' ')}), tab next` : '';
  const color = (l: DetailLine) =>
    l.tone === 'bad' ? theme.bad : l.tone === 'warn' ? theme.warn : l.tone === 'ok' ? theme.ok : l.tone === 'accent' ? theme.accent : undefined;
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text
        bold
        color={theme.accent}
        wrap="truncate"
      >{`Task #${overlay.tasks[overlay.index]} — line ${Math.min(scroll + 1, lines.length)}/${lines.length}${many} · j/k space scroll · esc back`}</Text>
      {lines.slice(scroll, scroll + page).map((l, i) => (
        <Text key={i} wrap="truncate" bold={l.bold} color={color(l)} dimColor={l.tone === 'dim' && theme.dim}>
          {l.text || ' '}
        </Text>
      ))}
    </Box>
  );
}
