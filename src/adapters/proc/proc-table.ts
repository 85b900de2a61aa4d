import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One process as /proc/<pid>/stat tells it (Linux). */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Session id: the pid of the session's leader. */
  sid: number;
  /** The controlling terminal's device number; 0 for none. */
  tty: number;
  /** `R`, `S`, `D`, `Z` (zombie: exited, not yet reaped), ... */
  state: string;
  comm: string;
  /** Clock ticks since boot: with the pid, identifies a process across pid reuse. */
  start: string;
  /** A kernel thread (PF_KTHREAD), not a program anyone started. */
  kernel: boolean;
}

/** The PF_KTHREAD bit of the stat file's flags (include/linux/sched.h). */
const PF_KTHREAD = 0x00200000;

/** Whether this system has a /proc to read processes from (Linux). */
export function hasProcTable(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}

export function readStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    tty: Number(f[4]),
    state: f[0] ?? '?',
    comm: text.slice(text.indexOf('(') + 1, close),
    start: f[19] ?? '',
    kernel: (Number(f[6]) & PF_KTHREAD) !== 0,
  };
}

/** A process that exists and has not exited (a zombie has exited: only its record is left). */
export function isLive(p: ProcStat | null): p is ProcStat {
  return p !== null && p.state !== 'Z' && p.state !== 'X';
}

/**
 * Every process on the system, but kernel threads: told by their flag, not by kthreadd's pid 2,
 * which in a pid namespace (a container) may be an ordinary process whose children count.
 */
export function listProcesses(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const p = readStat(Number(name));
    if (p && !p.kernel) out.push(p);
  }
  return out;
}

/**
 * The value of `name` in the environment a process was started with, or null (not set, not
 * readable, or the process is gone). A process can change its own copy later; /proc shows
 * the one it was exec'd with, which is what children inherit unless told otherwise.
 */
export function readEnvVar(pid: number, name: string): string | null {
  let env: Buffer;
  try {
    env = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return null;
  }
  const key = Buffer.from(`${name}=`);
  let at = 0;
  while (at < env.length) {
    let end = env.indexOf(0, at);
    if (end < 0) end = env.length;
    if (end - at >= key.length && env.subarray(at, at + key.length).equals(key)) return env.toString('utf8', at + key.length, end);
    at = end + 1;
  }
  return null;
}

/** A process's working directory, or null when it cannot be read. */
export function readCwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

/**
 * The direct children of this process (every thread's), from /proc/self/task/<tid>/children;
 * where the kernel has no such file (CONFIG_PROC_CHILDREN off), from a scan of every process.
 */
export function ownChildren(): number[] {
  return childrenOf(process.pid);
}

/** The direct children of process `pid` (one of this user's), as `ownChildren` finds them. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  const self = pid === process.pid ? 'self' : String(pid);
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${self}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${self}/task/${tid}/children`, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid))
        return listProcesses()
          .filter((p) => p.ppid === pid)
          .map((p) => p.pid);
      continue; // the thread ended meanwhile
    }
    for (const pid of text.split(' ')) if (pid.trim()) out.push(Number(pid));
  }
  return out;
}

/** Where a process's open file descriptors point (`/dev/pts/3`, `socket:[…]`, paths), at most `limit` of them; empty when unreadable. */
export function readFdTargets(pid: number, limit = 256): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds.slice(0, limit)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * Now, in the unit of a process's start time (ProcStat.start): clock ticks since boot. The
 * kernel reports start times in USER_HZ, which is 100 on every Linux architecture Node runs
 * on; /proc/uptime counts from the same boot clock, in hundredths of a second. Rounded up.
 */
export function nowTicks(): number {
  try {
    return Math.ceil(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}
