import type { StatusView } from './shapes.js';

/**
 * The workers in use as people read them: this machine's against its cap (`2/4`, then `what`:
 * " running"), then each host's against its own (`far 1/2`, `(away)` while its connection is
 * down). A task on a host is never one of this machine's workers: no count reads 5/4 because a
 * host's task stalled.
 */
export function workersLabel(w: StatusView['workers'], what = ''): string {
  const hosts = w.hosts ?? [];
  const here = `${w.running}/${w.max}${what}`;
  if (!hosts.length) return here;
  return [`${here}${what ? ' here' : ''}`, ...hosts.map((h) => `${h.name} ${h.running}/${h.max}${h.reachable ? '' : ' (away)'}`)].join(' · ');
}
