import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { listProcesses, readStat } from '../../../src/adapters/proc/proc-table.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) process.kill(pid, 'SIGKILL');
});

it('lists the programs running, with their parents, and leaves out kernel threads by their flag', () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child.pid!);
  const all = listProcesses();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  expect(byPid.get(process.pid)).toMatchObject({ ppid: process.ppid, kernel: false });
  expect(byPid.get(child.pid!)).toMatchObject({ ppid: process.pid, kernel: false });
  // Every kernel thread has kthreadd (pid 2) for parent, or is it: none is listed.
  const kthreadd = readStat(2);
  if (kthreadd?.kernel) expect(all.filter((p) => p.pid === 2 || p.ppid === 2)).toEqual([]);
});

it('reads the kernel-thread flag from the stat file, not from the parent pid', () => {
  expect(readStat(process.pid)?.kernel).toBe(false);
  const kthreadd = readStat(2);
  // Where pid 2 is kthreadd (not a container's own process), it is a kernel thread.
  if (kthreadd?.comm === 'kthreadd') expect(kthreadd.kernel).toBe(true);
});
