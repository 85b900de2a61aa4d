import { activityLabel } from '../../src/protocol/activity-label.js';
import type { TaskView } from '../../src/protocol/shapes.js';
import { selection, type CockpitState } from '../model/cockpit-state.js';
import type { KeyBinding } from '../../src/keymap/index.js';
import { noTasksText } from '../key-words.js';
import { stateColor, type Theme } from '../theme.js';
import { Table, type Column } from './Table.js';

export function TasksView({ s, theme, height, bindings }: { s: CockpitState; theme: Theme; height: number; bindings: readonly KeyBinding[] }) {
  const wide = s.size.cols >= 150;
  const all: (Column<TaskView> | null)[] = [
    { title: 'ID', width: 4, value: (t) => `#${t.id}` },
    { title: 'STATE', width: 9, value: (t) => t.state, color: (t) => stateColor(theme, t.state) },
    { title: 'RISK', width: 6, value: (t) => t.risk },
    { title: 'AGENT', width: 8, value: (t) => t.agent },
    { title: 'ACTIVITY', width: 14, value: (t) => (t.state === 'running' && t.idleWithWork ? 'idle+work' : activityLabel(t, { since: false })) },
    // Sized by content: a short title leaves its room to a long reason.
    { title: 'TITLE', width: 'auto', min: 16, value: (t) => t.title },
    { title: 'REASON', width: 'auto', min: 16, value: (t) => t.reason ?? '' },
    wide ? { title: 'BRANCH', width: 'auto', max: 22, value: (t) => t.branch ?? '' } : null,
    wide ? { title: 'PORTS', width: 'auto', max: 11, value: (t) => (t.ports ? `${t.ports.base}-${t.ports.last}` : '') } : null,
  ];
  const columns = all.filter((c): c is Column<TaskView> => c !== null);
  return (
    <Table
      rows={s.tasks}
      columns={columns}
      keyOf={(t) => t.id}
      selected={selection(s, 'tasks')}
      height={height}
      width={s.size.cols}
      empty={noTasksText(bindings)}
    />
  );
}
