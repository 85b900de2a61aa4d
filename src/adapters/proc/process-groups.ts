import { adoptedChildren } from './orphans.js';
import { isLive, listProcesses, readCwd, readEnvVar, readStat, type ProcStat } from './proc-table.js';
import { RUN_MARKER_VAR } from './run-marker.js';

/** A session muster started (an agent, a setup command, a gate leads its own): its id and its leader's start time. */
export interface RecordedSession {
  sid: number;
  /** The leader's start time when it was recorded; null when unknown. */
  leaderStart: string | null;
}

/** Which processes belong to a run: every one that matches any of these. */
export interface ProcessSelector {
  /** Every member of these sessions (the whole of each process group in them). */
  sessions?: readonly RecordedSession[];
  /** Processes whose MUSTER_RUN equals one of these, or starts with one ending in ':'. */
  markers?: readonly string[];
  /**
   * Orphans this process adopted as subreaper whose working directory is inside one of these
   * directories (or all of them). Only adoptees: a process of the operator may sit in a
   * worktree too, but it never descends from the supervisor.
   */
  adoptedIn?: readonly string[] | 'all';
  /**
   * Orphans this process adopted that this says are the run's (asked again each round, so
   * an orphan adopted while the run is being stopped is judged too), with every process
   * below them.
   */
  adoptedIf?: (p: ProcStat) => boolean;
  /** These processes, as found earlier (still the same process: pid and start time). */
  fixed?: readonly ProcStat[];
  /** Processes never to take, whatever else says so (a run that goes on). */
  spare?: (p: ProcStat) => boolean;
}

function markerMatches(value: string | null, markers: readonly string[]): boolean {
  if (value === null) return false;
  return markers.some((m) => (m.endsWith(':') ? value.startsWith(m) : value === m));
}

function inside(dir: string | null, roots: readonly string[]): boolean {
  return dir !== null && roots.some((r) => dir === r || dir.startsWith(`${r}/`));
}

/**
 * A session id still names the session it was recorded for: its leader is the recorded
 * process, or gone (the kernel hands out no pid that is still some process's session id, so
 * members of a leaderless session are that session's).
 */
function sessionStillOurs(s: RecordedSession, byPid: Map<number, ProcStat>): boolean {
  const leader = byPid.get(s.sid);
  return !leader || leader.sid !== s.sid || s.leaderStart === null || leader.start === s.leaderStart;
}

/** The orphans adopted from inside these directories, now. */
export function adoptedFrom(dirs: readonly string[]): ProcStat[] {
  return dirs.length ? findProcesses({ adoptedIn: dirs }) : [];
}

/** Every live process the selector names, never this process or a member of its own session. */
export function findProcesses(sel: ProcessSelector): ProcStat[] {
  const self = readStat(process.pid);
  const all = listProcesses();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const sids = new Set((sel.sessions ?? []).filter((s) => sessionStillOurs(s, byPid)).map((s) => s.sid));
  const markers = sel.markers ?? [];
  const found = new Map<number, ProcStat>();
  for (const p of all) {
    if (!isLive(p) || p.pid === process.pid || p.sid === self?.sid) continue;
    if (sids.has(p.sid) || (markers.length && markerMatches(readEnvVar(p.pid, RUN_MARKER_VAR), markers))) found.set(p.pid, p);
  }
  for (const p of sel.fixed ?? []) if (sameAlive(p)) found.set(p.pid, p);
  const adopted = sel.adoptedIn;
  if (adopted?.length || sel.adoptedIf) {
    const claimed: ProcStat[] = [];
    for (const p of adoptedChildren()) {
      if (!isLive(p)) continue;
      if (adopted?.length && (adopted === 'all' || inside(readCwd(p.pid), adopted))) found.set(p.pid, p);
      else if (sel.adoptedIf?.(p)) claimed.push(p);
    }
    for (const p of descendantsOf(claimed, all)) found.set(p.pid, p);
  }
  if (sel.spare) for (const p of [...found.values()]) if (sel.spare(p)) found.delete(p.pid);
  return [...found.values()];
}

/** `roots` and every live process below them in `all`. */
function descendantsOf(roots: readonly ProcStat[], all: readonly ProcStat[]): ProcStat[] {
  if (!roots.length) return [];
  const children = new Map<number, ProcStat[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcStat[] = [];
  const queue = [...roots];
  const seen = new Set<number>();
  while (queue.length) {
    const p = queue.pop()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    if (isLive(p)) out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

function sameAlive(p: ProcStat): boolean {
  const now = readStat(p.pid);
  return isLive(now) && now.start === p.start;
}

function signal(procs: readonly ProcStat[], sig: NodeJS.Signals, sessions: ReadonlySet<number>): void {
  const groups = new Set<number>();
  for (const p of procs) {
    // A whole group at once where the group is inside a recorded session: a fork between the
    // scan and the signal cannot slip through.
    if (sessions.has(p.sid) && !groups.has(p.pgid)) {
      groups.add(p.pgid);
      try {
        process.kill(-p.pgid, sig);
      } catch {
        // the group is gone
      }
    }
    try {
      process.kill(p.pid, sig);
    } catch {
      // already gone
    }
  }
}

async function waitGone(procs: readonly ProcStat[], ms: number): Promise<ProcStat[]> {
  const deadline = Date.now() + ms;
  let alive = procs.filter(sameAlive);
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    alive = alive.filter(sameAlive);
  }
  return alive;
}

/**
 * Stops every process the selector names: SIGTERM, then SIGKILL to what is left after
 * `graceMs`, looking again each round for processes started meanwhile (an agent that traps
 * SIGTERM may fork while it dies). Resolves with what is still alive after that — normally
 * nothing; a process in uninterruptible sleep or of another user can stay.
 */
export async function terminate(sel: ProcessSelector, graceMs: number): Promise<ProcStat[]> {
  const sessions = new Set((sel.sessions ?? []).map((s) => s.sid));
  let targets = findProcesses(sel);
  if (!targets.length) return [];
  signal(targets, 'SIGTERM', sessions);
  let alive = await waitGone(targets, graceMs);
  for (let round = 0; round < 4; round++) {
    const seen = new Set(alive.map((p) => p.pid));
    targets = [...alive, ...findProcesses(sel).filter((p) => !seen.has(p.pid))];
    if (!targets.length) return [];
    signal(targets, 'SIGKILL', sessions);
    alive = await waitGone(targets, 2000);
  }
  return [...alive, ...findProcesses(sel).filter((p) => !alive.some((a) => a.pid === p.pid))];
}

/** "pid 123 (sleep), pid 456 (bash)": for messages. */
export function describeProcesses(procs: readonly ProcStat[]): string {
  return procs
    .slice(0, 5)
    .map((p) => `pid ${p.pid} (${p.comm})`)
    .concat(procs.length > 5 ? [`${procs.length - 5} more`] : [])
    .join(', ');
}
