import { basename } from 'node:path';
import type { RepoSummary } from '../src/client/fleet-client.js';
import type { ConflictView, StatusView, TaskView } from '../src/protocol/shapes.js';
import { headerText } from './header-text.js';

/** The repositories of a cockpit of several, and which one it shows. */
export interface FleetView {
  current: number;
  repos: RepoSummary[];
}

/** `2 running, 1 waiting` — what needs the operator in one repository — or why it is not known. */
export function repoCounts(r: RepoSummary): string {
  if (r.link === 'lost') return 'connection lost';
  if (!r.counts) return 'connecting…';
  const c = r.counts;
  const parts = [
    c.running && `${c.running} running`,
    c.waiting && `${c.waiting} waiting`,
    c.review && `${c.review} review`,
    c.failed && `${c.failed} failed`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'idle';
}

/**
 * The header of a cockpit of several repositories (or of one on another machine): the first
 * line names the current one as the fleet does; the second has every repository with its
 * counts, the current one in brackets, then the current one's blockers and conflicts.
 */
export function fleetHeaderText(
  fleet: FleetView,
  st: StatusView | null,
  tasks: readonly TaskView[],
  conflicts: readonly ConflictView[],
  switchKeys: string,
): { top: string; counts: string } {
  const current = fleet.repos[fleet.current];
  const name = current?.name ?? '?';
  const plain = headerText(st, tasks, conflicts);
  const top =
    current?.link === 'lost'
      ? `muster · ${name} · ${current.message ?? 'connection lost'}`
      : st
        ? `muster · ${name}${plain.top.slice(`muster · ${basename(st.repo)}`.length)}`
        : `muster · ${name} · connecting…`;
  const tabs = fleet.repos.map((r, i) => (i === fleet.current ? `[${r.name} (${repoCounts(r)})]` : `${r.name} (${repoCounts(r)})`)).join('  ');
  const extra = plain.counts.split(' │ ')[1];
  const hint = fleet.repos.length > 1 && switchKeys ? `  ${switchKeys} switch` : '';
  return { top, counts: `${tabs}${hint}${extra ? ` │ ${extra}` : ''}` };
}
