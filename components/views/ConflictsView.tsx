import type { ConflictView } from '../../src/protocol/shapes.js';
import { conflictKey, selection, type CockpitState } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';
import { Table, type Column } from './Table.js';

export function ConflictsView({ s, theme, height }: { s: CockpitState; theme: Theme; height: number }) {
  const columns: Column<ConflictView>[] = [
    { title: 'KIND', width: 10, value: (c) => c.kind, color: (c) => (c.kind === 'merge' || c.kind === 'lock' ? theme.bad : theme.warn) },
    { title: 'TASKS', width: 9, value: (c) => c.tasks.map((t) => `#${t}`).join(' ') },
    { title: 'PATHS', width: 30, value: (c) => c.paths.join(', ') },
    { title: 'DETAIL', width: 'fill', value: (c) => c.detail },
  ];
  return <Table rows={s.conflicts} columns={columns} keyOf={conflictKey} selected={selection(s, 'conflicts')} height={height} width={s.size.cols} empty="No conflicts: the running tasks touch disjoint files." />;
}
