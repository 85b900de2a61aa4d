import { Box, Text } from 'ink';
import type { CockpitState } from './model/cockpit-state.js';
import { VIEWS } from './model/cockpit-state.js';
import { headerText } from './header-text.js';
import { fleetHeaderText } from './fleet-header.js';
import { keysFor, type CommandId } from '../src/keymap/index.js';
import { useEnv } from './use-cockpit.js';
import type { Theme } from './theme.js';

export function headerLines(s: CockpitState): { top: string; counts: string } {
  return headerText(s.status, s.tasks, s.conflicts);
}

export function Header({ s, theme }: { s: CockpitState; theme: Theme }) {
  const { controller } = useEnv();
  const switchKeys = ['repo.prev', 'repo.next']
    .map((id) => keysFor(controller.bindings, id as CommandId)[0] ?? '')
    .join(' ')
    .trim();
  const { top, counts } = s.fleet ? fleetHeaderText(s.fleet, s.status, s.tasks, s.conflicts, switchKeys) : headerLines(s);
  const width = s.size.cols;
  const alarm = !!s.status?.blockers.unread || !!s.status?.configError;
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
      {s.overlay?.kind === 'offline' ? (
        <Text wrap="truncate" color={theme.bad} bold>
          {`supervisor gone: what follows is from before │ ${counts}`}
        </Text>
      ) : (
        <Text wrap="truncate" color={alarm ? theme.bad : undefined} dimColor={!alarm && theme.dim}>
          {counts}
        </Text>
      )}
    </Box>
  );
}
