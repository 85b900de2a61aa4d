import { nativeProc } from './native.js';
import { childrenOf, ownChildren, readStat, type ProcStat } from './proc-table.js';

/**
 * Children this process started in a session of their own (agents and setup commands through
 * node-pty, quality gates): node-pty and libuv wait for those themselves, so they are never
 * reaped here. Anything else among our children that is not in our own session was adopted.
 */
const tracked = new Set<number>();

export function trackChild(pid: number): void {
  tracked.add(pid);
}

export function untrackChild(pid: number): void {
  tracked.delete(pid);
}

let subreaper = false;

/**
 * Makes this process the reaper of its orphaned descendants (Linux PR_SET_CHILD_SUBREAPER):
 * a process that an agent started with `setsid` and left behind — double-forked, its
 * environment cleared — comes to us instead of init, so it stays a descendant of the
 * supervisor for as long as the supervisor lives. Returns whether that holds now.
 */
export function becomeSubreaper(): boolean {
  if (!subreaper) subreaper = nativeProc().setChildSubreaper();
  return subreaper;
}

export function isSubreaper(): boolean {
  return subreaper;
}

let worker: { pid: number; leaders: () => Iterable<number> } | null = null;

/**
 * The terminal worker is the subreaper of what agents orphan (they are its children): its
 * adoptees count as ours. `leaders` are the processes it started in its terminals.
 */
export function adoptThroughWorker(pid: number, leaders: () => Iterable<number>): void {
  worker = { pid, leaders };
}

/** Our children that we did not start ourselves in a session of their own (and the worker's): orphans we adopted. */
export function adoptedChildren(): ProcStat[] {
  const self = readStat(process.pid);
  const own = ownChildren()
    .filter((pid) => !tracked.has(pid))
    .map(readStat)
    .filter((p): p is ProcStat => p !== null && p.sid !== self?.sid);
  if (!worker) return own;
  const w = readStat(worker.pid);
  if (!w) return own;
  const leaders = new Set(worker.leaders());
  // A session leader on a terminal is a program the worker started in a PTY: one whose pid has
  // not reached the supervisor yet is not among the leaders, and was taken for an orphan.
  const theirs = childrenOf(worker.pid)
    .filter((pid) => !leaders.has(pid))
    .map(readStat)
    .filter((p): p is ProcStat => p !== null && p.sid !== w.sid && p.ppid === worker!.pid && !(p.sid === p.pid && p.tty !== 0));
  return [...own, ...theirs];
}

let zombiesSeen = new Set<string>();

/**
 * Reaps adopted orphans that have exited. A zombie is reaped only when an earlier call saw
 * it too: by then the event loop has run between the two calls, so libuv (or node-pty's
 * wait thread) had every chance to reap a child of its own, and we never take an exit
 * status that someone is waiting for. Call it from a timer.
 */
export function reapAdoptedZombies(): number {
  if (!subreaper) return 0;
  const now = new Set<string>();
  let reaped = 0;
  for (const pid of ownChildren()) {
    if (tracked.has(pid)) continue;
    const p = readStat(pid);
    if (p?.state !== 'Z') continue;
    const id = `${pid}:${p.start}`;
    if (zombiesSeen.has(id) && nativeProc().reapChild(pid)) reaped++;
    else now.add(id);
  }
  zombiesSeen = now;
  return reaped;
}
