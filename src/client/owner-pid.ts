import { readFileSync } from 'node:fs';

/** Wrappers between the operator's shell or script and this process; they exit with us. */
function isWrapper(comm: string, hops: number): boolean {
  // npm 11 runs bins as `npm exec` -> `sh -c <bin>`; comm is cut at 15 characters.
  return comm === 'npx' || comm.startsWith('npm') || (comm === 'sh' && hops === 0);
}

function parentOf(pid: number): { ppid: number; comm: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? { ppid, comm } : null;
  } catch {
    return null;
  }
}

/**
 * The process that owns an operator lock taken by this command: the nearest ancestor that
 * outlives it. `npx muster lock acquire` runs under npm's own node process, which exits right
 * after; the lock belongs to the shell or script above it. Without /proc, the parent.
 */
export function lockOwnerPid(): number {
  let pid = process.ppid;
  for (let hops = 0; hops < 4; hops++) {
    const info = parentOf(pid);
    if (!info || !isWrapper(info.comm, hops) || info.ppid <= 1) return pid;
    pid = info.ppid;
  }
  return pid;
}
