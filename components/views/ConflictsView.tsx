import { conflictRows, selection, type CockpitState, type ConflictRow } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';
import { Table, type Column } from './Table.js';

/** Conflicts grouped by path: each path once, the conflicts on it below; enter opens their tasks. */
export function ConflictsView({ s, theme, height }: { s: CockpitState; theme: Theme; height: number }) {
  const columns: Column<ConflictRow>[] = [
    { title: 'PATH', width: 'auto', min: 12, max: Math.max(20, Math.floor(s.size.cols / 3)), value: (r) => (r.first ? (r.path ?? '(no path)') : '') },
    {
      title: 'KIND',
      width: 11,
      value: (r) => r.conflict.kind,
      color: (r) => (r.conflict.kind === 'merge' || r.conflict.kind === 'lock' ? theme.bad : theme.warn),
    },
    { title: 'TASKS', width: 9, value: (r) => r.conflict.tasks.map((t) => `#${t}`).join(' ') },
    { title: 'DETAIL', width: 'fill', value: (r) => r.conflict.detail },
  ];
  return (
    <Table
      rows={conflictRows(s.conflicts)}
      columns={columns}
      keyOf={(r) => r.key}
      selected={selection(s, 'conflicts')}
      height={height}
      width={s.size.cols}
      empty="No conflicts: the running tasks touch disjoint files."
    />
  );
}
