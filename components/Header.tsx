import { Box, Text } from 'ink';
import type { CockpitState } from './model/cockpit-state.js';
import { VIEWS } from './model/cockpit-state.js';
import { headerText } from './header-text.js';
import type { Theme } from './theme.js';

export function headerLines(s: CockpitState): { top: string; counts: string } {
  return headerText(s.status, s.tasks, s.conflicts);
}

export function Header({ s, theme }: { s: CockpitState; theme: Theme }) {
  const { top, counts } = headerLines(s);
  const width = s.size.cols;
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Box width={width} height={1}>
        <Box flexShrink={1} flexGrow={1}>
          <Text bold color={theme.accent} wrap="truncate">
            {top}
          </Text>
        </Box>
        <Box flexShrink={0}>
          <Text>
            {VIEWS.map((v, i) => (
              <Text key={v} inverse={v === s.view} bold={v === s.view}>
                {` ${i + 1} ${v}`}
              </Text>
            ))}
          </Text>
        </Box>
      </Box>
      <Text wrap="truncate" color={s.status?.blockers.unread ? theme.bad : undefined} dimColor={!s.status?.blockers.unread && theme.dim}>
        {counts}
      </Text>
    </Box>
  );
}
