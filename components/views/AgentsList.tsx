import { Box, Text } from 'ink';
import { activityLabel } from '../../src/protocol/activity-label.js';
import { displayLine } from '../../src/core/display-text.js';
import { exitedText, paneTasks, selection, type CockpitState } from '../model/cockpit-state.js';
import type { KeyBinding } from '../../src/keymap/index.js';
import { idleWithWorkText, noAgentsText } from '../key-words.js';
import type { Theme } from '../theme.js';

/**
 * The agents view as Ink draws it where the live grid cannot be drawn directly (tests, a
 * terminal too small for panes): one line per running agent.
 */
export function AgentsList({
  s,
  theme,
  height,
  bindings,
  note,
}: {
  s: CockpitState;
  theme: Theme;
  height: number;
  bindings: readonly KeyBinding[];
  note?: string;
}) {
  const tasks = paneTasks(s);
  const sel = selection(s, 'agents');
  return (
    <Box flexDirection="column" height={height}>
      {note ? <Text color={theme.warn}>{note}</Text> : null}
      {tasks.length === 0 ? <Text dimColor>{noAgentsText(bindings)}</Text> : null}
      {tasks.map((t) => (
        <Text key={t.id} inverse={t.id === sel} wrap="truncate">
          {displayLine(
            `#${t.id} ${t.title} · ${t.agent} · ${exitedText(t) ?? (t.idleWithWork ? idleWithWorkText(bindings, 'row') : activityLabel(t, { since: false }) || t.activity)}`,
          )}
        </Text>
      ))}
    </Box>
  );
}
