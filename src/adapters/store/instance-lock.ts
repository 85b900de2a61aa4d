import { linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isSameProcessAlive, processStartTime } from '../proc/process-info.js';
import { writeFailure } from './write-error.js';

export interface LockHolder {
  pid: number;
  startTime: string | null;
  startedAt?: string;
}

export class AlreadyRunningError extends Error {
  constructor(readonly holder: LockHolder) {
    super(`A muster supervisor is already running for this repository (pid ${holder.pid}). "muster stop" stops it.`);
    this.name = 'AlreadyRunningError';
  }
}

/** The lock could not be written (a full disk): nothing was started and nothing is left behind. */
export class InstanceLockError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`Could not take the supervisor lock ${file}: ${writeFailure(file, cause)}. Free space (or fix the disk) and try again.`);
    this.name = 'InstanceLockError';
  }
}

/** A breaker directory older than this was left by a process killed while breaking a lock. */
const BREAKER_STALE_MS = 10_000;

function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, startTime: parsed.startTime ?? null } : null;
  } catch {
    return null;
  }
}

/** The pid of the live supervisor holding the lock file, or null when none does. */
export function liveLockHolder(file: string): number | null {
  const holder = readHolder(file);
  return holder && isSameProcessAlive(holder.pid, holder.startTime) ? holder.pid : null;
}

/**
 * Makes this process the one supervisor of a repository. The lock file is created by an
 * atomic link(2); a lock whose holder is gone (pid dead, or reused by another process, told apart by
 * its start time) is broken under a second, mkdir-based lock so two starters never both
 * break it and both win.
 */
export function acquireInstanceLock(file: string): { holder: LockHolder; release: () => void } {
  const me: LockHolder = { pid: process.pid, startTime: processStartTime(process.pid), startedAt: new Date().toISOString() };
  removeStaleTemps(file);
  for (let attempt = 0; attempt < 50; attempt++) {
    // Written aside and linked into place, so the lock file never exists without its content.
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify(me));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new InstanceLockError(file, e);
    }
    try {
      linkSync(tmp, file);
      unlinkSync(tmp);
      return {
        holder: me,
        release: () => {
          if (readHolder(file)?.pid === me.pid) rmSync(file, { force: true });
        },
      };
    } catch (e) {
      unlinkSync(tmp);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    if (holder && isSameProcessAlive(holder.pid, holder.startTime)) throw new AlreadyRunningError(holder);
    breakStaleLock(file, holder);
  }
  throw new Error(`Could not take the supervisor lock ${file}: it kept changing hands.`);
}

/** Temp files of starters that were killed before they could link theirs (`daemon.lock.<pid>.tmp`). */
function removeStaleTemps(file: string): void {
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -'.tmp'.length)) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || isPidAlive(pid)) continue;
    rmSync(join(dirname(file), name), { force: true });
  }
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function breakStaleLock(file: string, seen: LockHolder | null): void {
  const breaker = `${file}.break`;
  try {
    mkdirSync(breaker);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS) rmSync(breaker, { recursive: true, force: true });
    } catch {
      // gone already
    }
    return;
  }
  try {
    const now = readHolder(file);
    // Only break the lock we judged stale; someone may have replaced it meanwhile.
    const same = now?.pid === seen?.pid && now?.startTime === seen?.startTime;
    if (same && !(now && isSameProcessAlive(now.pid, now.startTime))) {
      try {
        unlinkSync(file);
      } catch {
        // already removed
      }
    }
  } finally {
    rmSync(breaker, { recursive: true, force: true });
  }
}
