import { basename } from 'node:path';
import { displayLine } from '../src/core/display-text.js';
import type { ConflictView, StatusView, TaskView } from '../src/protocol/shapes.js';
import { workersLabel } from '../src/protocol/workers-label.js';

/**
 * The header's two lines: repository, target and tip, workers, dispatch paused; tasks per
 * state, blockers, conflicts, agents waiting. Plain text, so the first frame can be drawn
 * before Ink has even loaded.
 */
export function headerText(st: StatusView | null, tasks: readonly TaskView[], conflicts: readonly ConflictView[]): { top: string; counts: string } {
  if (!st) return { top: 'muster · connecting…', counts: '' };
  const counts = Object.entries(st.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(' · ');
  const waiting = tasks.filter((t) => t.activity === 'waiting-input' && t.state === 'running').length;
  const top = `muster · ${displayLine(basename(st.repo))} · ${st.target}@${st.targetTip?.slice(0, 7) ?? 'none'} · workers ${workersLabel(st.workers)}${st.paused ? ' · PAUSED' : ''}`;
  const extra = [`blockers ${st.blockers.unread}`, `conflicts ${conflicts.length}`, ...(waiting ? [`waiting ${waiting}`] : [])].join(' · ');
  // The supervisor keeps the last good config; the operator must see that the file is not it.
  const config = st.configError ? ` │ config not applied: ${st.configError.split('\n')[0]}` : '';
  return { top, counts: `${counts || 'no tasks'} │ ${extra}${config}` };
}
