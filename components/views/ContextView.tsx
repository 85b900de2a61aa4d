import { Box, Text } from 'ink';
import { displayText } from '../../src/core/display-text.js';
import { selection, type CockpitState } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';

/** The shared context document, live; unacknowledged blockers stand out, the selected one is marked. */
export function ContextView({ s, theme, height }: { s: CockpitState; theme: Theme; height: number }) {
  const c = s.context;
  if (!c) return <Text dimColor>Loading the shared context…</Text>;
  const unread = new Set(c.blockers.filter((b) => !b.acknowledged).map((b) => b.text));
  const selectedText = c.blockers.find((b) => b.key === selection(s, 'context'))?.text ?? null;
  const lines = c.text.replace(/\n+$/, '').split('\n');
  const kinds = classify(lines, unread, selectedText);
  // The end of the document, unless the selected blocker is above it.
  const at = kinds.findIndex((k) => k.selected);
  const tail = Math.max(0, lines.length - height);
  const start = at >= 0 && at < tail ? Math.max(0, at - Math.floor(height / 2)) : tail;
  return (
    <Box flexDirection="column" height={height}>
      {lines.slice(start, start + height).map((line, i) => {
        const k = kinds[start + i]!;
        return (
          <Text
            key={i}
            wrap="truncate"
            bold={k.heading || k.hot}
            color={k.hot ? theme.bad : k.heading ? theme.accent : undefined}
            inverse={k.selected || (k.hot && !theme.color)}
          >
            {`${k.selected ? '› ' : ''}${displayText(line) || ' '}`}
          </Text>
        );
      })}
    </Box>
  );
}

function classify(lines: string[], unread: Set<string>, selected: string | null): { heading: boolean; hot: boolean; selected: boolean }[] {
  let inBlockers = false;
  let marked = false;
  return lines.map((line) => {
    const heading = /^#/.test(line);
    if (/^##\s/.test(line)) inBlockers = /^##\s*blockers/i.test(line);
    const hot = inBlockers && [...unread].some((t) => line.includes(t));
    const isSelected = inBlockers && !marked && selected !== null && line.includes(selected);
    if (isSelected) marked = true;
    return { heading, hot, selected: isSelected };
  });
}
