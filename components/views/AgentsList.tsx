import { Box, Text } from 'ink';
import { paneTasks, selection, type CockpitState } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';

/**
 * The agents view as Ink draws it where the live grid cannot be drawn directly (tests, a
 * terminal too small for panes): one line per running agent.
 */
export function AgentsList({ s, theme, height, note }: { s: CockpitState; theme: Theme; height: number; note?: string }) {
  const tasks = paneTasks(s);
  const sel = selection(s, 'agents');
  return (
    <Box flexDirection="column" height={height}>
      {note ? <Text color={theme.warn}>{note}</Text> : null}
      {tasks.length === 0 ? <Text dimColor>No agent is running. n adds a task; 2 shows the queue.</Text> : null}
      {tasks.map((t) => (
        <Text key={t.id} inverse={t.id === sel} wrap="truncate">
          {`#${t.id} ${t.title} · ${t.agent} · ${t.activity}`}
        </Text>
      ))}
    </Box>
  );
}
