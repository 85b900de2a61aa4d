import { createHash } from 'node:crypto';

/**
 * The environment variable muster sets on every process it starts for a task or a gate.
 * Children inherit it through fork, exec, `setsid` and `nohup`, so a process that left the
 * agent's session is still found by it — unless it cleared its environment on purpose.
 */
export const RUN_MARKER_VAR = 'MUSTER_RUN';

/** A short key for one repository's state directory (or one integration worktree). */
export function runKey(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 16);
}

/** The marker of a task's session `n`: `<key>:task:<id>:<n>`. */
export function taskMarker(key: string, task: number, session: number): string {
  return `${key}:task:${task}:${session}`;
}

/** What every session's marker of a task starts with. */
export function taskMarkerPrefix(key: string, task: number): string {
  return `${key}:task:${task}:`;
}

/** The marker of a quality gate run in the integration worktree whose key this is. */
export function gateMarker(key: string): string {
  return `${key}:gate`;
}

/** The task a marker of this repository names, or null. */
export function taskOfMarker(key: string, marker: string | null): number | null {
  if (!marker?.startsWith(`${key}:task:`)) return null;
  const id = Number(marker.slice(key.length + 6).split(':')[0]);
  return Number.isInteger(id) && id > 0 ? id : null;
}
