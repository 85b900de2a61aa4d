import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in ms. */
  cpuMs: number;
}

function stat(pid: number): Stat | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = raw.lastIndexOf(')');
    const comm = raw.slice(raw.indexOf('(') + 1, close);
    // Fields after the comm: state(3) ppid(4) ... utime(14) stime(15).
    const f = raw.slice(close + 2).split(' ');
    return { pid, ppid: Number(f[1]), comm, cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a live process has used, in ms; its children not included. */
export function cpuMs(pid: number): number {
  return stat(pid)?.cpuMs ?? Number.NaN;
}

/** Every live process whose ancestry leads to `pid` (not `pid` itself). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU time of a process and its live descendants, in ms. */
export function cpuMsTree(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + (stat(p)?.cpuMs ?? 0), 0);
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** `pid` itself or the first descendant whose command line matches. */
export function findProcess(root: number, match: (cmd: string, comm: string) => boolean): number | null {
  for (const p of [root, ...descendants(root)]) if (match(cmdline(p), stat(p)?.comm ?? '')) return p;
  return null;
}

/** Resident set size of a live process, in KiB. */
export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU use of some processes over a window of wall time, as a percentage of one core:
 * utime+stime deltas from /proc/<pid>/stat.
 */
export class CpuMeter {
  private readonly pids: Record<string, readonly number[]>;
  private readonly start: Map<number, number>;
  private readonly t0 = performance.now();

  /** Each name is one process or a group whose CPU is added up (the supervisor and its terminal worker). */
  constructor(pids: Record<string, number | readonly number[]>) {
    this.pids = Object.fromEntries(Object.entries(pids).map(([name, p]) => [name, typeof p === 'number' ? [p] : p]));
    this.start = new Map(
      Object.values(this.pids)
        .flat()
        .map((p) => [p, cpuMs(p)]),
    );
  }

  private used(pids: readonly number[]): number {
    return pids.reduce((sum, p) => sum + (cpuMs(p) - this.start.get(p)!), 0);
  }

  /** Percent of one core per named process (or group) since the meter started. */
  read(): Record<string, number> {
    const wall = performance.now() - this.t0;
    return Object.fromEntries(Object.entries(this.pids).map(([name, pids]) => [name, (this.used(pids) / wall) * 100]));
  }

  /** CPU ms per named process (or group) since the meter started. */
  usedMs(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.pids).map(([name, pids]) => [name, this.used(pids)]));
  }
}
