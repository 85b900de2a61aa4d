import { basename } from 'node:path';
import { Box, Text } from 'ink';
import type { CockpitState } from './model/cockpit-state.js';
import { VIEWS } from './model/cockpit-state.js';
import type { Theme } from './theme.js';

/** Repository, target and tip, workers, tasks per state, blockers, conflicts, dispatch paused. */
export function headerLines(s: CockpitState): { top: string; counts: string } {
  const st = s.status;
  if (!st) return { top: 'muster · connecting…', counts: '' };
  const counts = Object.entries(st.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(' · ');
  const waiting = s.tasks.filter((t) => t.activity === 'waiting-input' && t.state === 'running').length;
  const top = `muster · ${basename(st.repo)} · ${st.target}@${st.targetTip?.slice(0, 7) ?? 'none'} · workers ${st.workers.running}/${st.workers.max}${st.paused ? ' · PAUSED' : ''}`;
  const extra = [`blockers ${st.blockers.unread}`, `conflicts ${s.conflicts.length}`, ...(waiting ? [`waiting ${waiting}`] : [])].join(' · ');
  return { top, counts: `${counts || 'no tasks'} │ ${extra}` };
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
