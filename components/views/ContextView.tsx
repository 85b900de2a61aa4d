import { Box, Text } from 'ink';
import type { CockpitState } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';

/** The shared context document, live; unacknowledged blockers stand out. */
export function ContextView({ s, theme, height }: { s: CockpitState; theme: Theme; height: number }) {
  const c = s.context;
  if (!c) return <Text dimColor>Loading the shared context…</Text>;
  const unread = new Set(c.blockers.filter((b) => !b.acknowledged).map((b) => b.text));
  const lines = c.text.replace(/\n+$/, '').split('\n');
  let inBlockers = false;
  const shown = lines.slice(Math.max(0, lines.length - height));
  return (
    <Box flexDirection="column" height={height}>
      {shown.map((line, i) => {
        if (/^##\s/.test(line)) inBlockers = /^##\s*blockers/i.test(line);
        const hot = inBlockers && [...unread].some((t) => line.includes(t));
        return (
          <Text key={i} wrap="truncate" bold={/^#/.test(line) || hot} color={hot ? theme.bad : /^#/.test(line) ? theme.accent : undefined} inverse={hot && !theme.color}>
            {line || ' '}
          </Text>
        );
      })}
    </Box>
  );
}
