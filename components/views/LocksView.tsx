import type { LockView } from '../../src/protocol/shapes.js';
import { lockKey, selection, type CockpitState } from '../model/cockpit-state.js';
import { age } from '../text.js';
import type { Theme } from '../theme.js';
import { Table, type Column } from './Table.js';

export function ownerLabel(o: LockView['owner']): string {
  return 'task' in o ? `#${o.task}` : o.pid === 0 ? 'operator (import)' : `operator pid ${o.pid}`;
}

export function LocksView({ s, theme, height }: { s: CockpitState; theme: Theme; height: number }) {
  const columns: Column<LockView>[] = [
    { title: 'RESOURCE', width: 'fill', value: (l) => l.resource },
    { title: 'MODE', width: 5, value: (l) => l.mode, color: (l) => (l.mode === 'write' ? theme.warn : undefined) },
    { title: 'OWNER', width: 20, value: (l) => ownerLabel(l.owner) },
    { title: 'AGE', width: 6, value: (l) => age(l.acquiredAt) },
    { title: 'STATE', width: 16, value: (l) => `${l.state}${l.declared ? ' declared' : ''}`, color: (l) => (l.state === 'stale' ? theme.bad : undefined) },
  ];
  return (
    <Table rows={s.locks} columns={columns} keyOf={lockKey} selected={selection(s, 'locks')} height={height} width={s.size.cols} empty="No locks are held." />
  );
}
