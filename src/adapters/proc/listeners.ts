import { readdir, readFile, readlink } from 'node:fs/promises';

export interface Listener {
  port: number;
  pid: number | null;
}

async function listeningInodes(ports: ReadonlySet<number>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A') continue; // LISTEN
      const port = Number.parseInt(f[1]?.split(':').pop() ?? '', 16);
      if (ports.has(port) && f[9]) out.set(f[9], port);
    }
  }
  return out;
}

/**
 * Which of `ports` something listens on, and which process (Linux /proc; the pid is null where
 * it cannot be read). Only the ports asked about are looked up, so this stays cheap.
 */
export async function listenersOn(ports: readonly number[]): Promise<Listener[]> {
  const inodes = await listeningInodes(new Set(ports));
  if (!inodes.size) return [];
  const found = new Map<number, Listener>();
  for (const port of inodes.values()) found.set(port, { port, pid: null });
  let pids: string[] = [];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return [...found.values()];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      const port = m?.[1] ? inodes.get(m[1]) : undefined;
      if (port !== undefined) found.set(port, { port, pid: Number(pid) });
    }
  }
  return [...found.values()];
}

/** The parent pid of a process, or null. */
export async function parentPid(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is `ancestor` or runs under it. */
export async function descendsFrom(pid: number, ancestor: number): Promise<boolean> {
  let cur: number | null = pid;
  for (let hops = 0; cur && cur > 1 && hops < 64; hops++) {
    if (cur === ancestor) return true;
    cur = await parentPid(cur);
  }
  return false;
}
