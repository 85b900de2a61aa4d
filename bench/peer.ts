import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerCredentials } from '../src/adapters/proc/native.js';
import { findProcesses } from '../src/adapters/proc/process-groups.js';
import { listProcesses, readEnvVar, readStat } from '../src/adapters/proc/proc-table.js';
import type { Bench, Figure } from './lib/figure.js';
import { median, nowMs, percentile } from './lib/stats.js';

/** What the supervisor does for each accepted connection: SO_PEERCRED, then the peer's start time. */
function identify(socket: Socket): void {
  const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
  const cred = peerCredentials(fd);
  readStat(cred.pid);
}

/** Connect, send a line, get it back: `n` times, with or without identifying each peer. Times in ms. */
async function roundTrips(n: number, withIdentify: boolean): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'muster-bench-peer-'));
  const path = join(dir, 's.sock');
  const server = createServer((s) => {
    if (withIdentify) identify(s);
    s.once('data', (d) => s.end(d));
  });
  await new Promise<void>((r) => server.listen(path, r));
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = nowMs();
      await new Promise<void>((resolve, reject) => {
        const c = connect(path, () => c.write('ping\n'));
        c.once('data', () => c.end());
        c.once('close', () => resolve());
        c.once('error', reject);
      });
      times.push(nowMs() - t);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

function timeEach(n: number, fn: () => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = nowMs();
    fn();
    times.push(nowMs() - t);
  }
  return times;
}

/** The walk an operator-only request makes: from a process up to init, stat and environment. */
function ancestryWalk(pid: number): number {
  let hops = 0;
  for (let p = readStat(pid); p && p.ppid > 1; p = readStat(p.ppid)) {
    readEnvVar(p.pid, 'MUSTER_RUN');
    hops++;
  }
  return hops;
}

const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;

export const peer: Bench = {
  name: 'peer',
  method: [
    'Who is at the other end of the socket. A local Unix socket server answers one line per connection; every round trip',
    'connects, sends, reads and closes, with the server identifying each peer as the supervisor does (SO_PEERCRED through',
    "muster's native helper, then the peer's start time from /proc) and without, in the same run. Then the cost of the",
    'alternatives and the rest: one `ss -xp` spawn (what reading peers through sock_diag costs per connection without',
    'native code), the ancestry walk an operator-only request makes, and one scan of /proc for the processes of a run.',
  ].join(' '),
  async run({ quick, log }): Promise<Figure[]> {
    const n = quick ? 300 : 2000;
    await roundTrips(50, true);
    const plain = await roundTrips(n, false);
    const identified = await roundTrips(n, true);
    log(`round trip p50 ${median(plain).toFixed(3)} ms plain, ${median(identified).toFixed(3)} ms identified`);
    const selfFd = timeEach(n, () => readStat(process.pid));
    const ss = timeEach(quick ? 10 : 30, () => spawnSync('ss', ['-xp'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    const walk = timeEach(quick ? 200 : 1000, () => ancestryWalk(process.pid));
    const hops = ancestryWalk(process.pid);
    const scan = timeEach(quick ? 20 : 100, () => findProcesses({ markers: ['bench-nothing:'] }));
    const procs = listProcesses().length;
    return [
      {
        bench: 'peer',
        name: 'socket round trip with the peer identified (p50)',
        unit: 'ms',
        muster: median(identified),
        baseline: median(plain),
        baselineLabel: 'the same round trip, peer not identified',
        target: { kind: 'ratio-at-most', value: 1.25 },
        detail: `${n} round trips each; p99 ${percentile(identified, 99).toFixed(3)} vs ${percentile(plain, 99).toFixed(3)} ms; one /proc stat read ${us(median(selfFd))} µs`,
      },
      {
        bench: 'peer',
        name: 'identifying a peer: SO_PEERCRED + stat vs one `ss -xp` spawn',
        unit: 'ms',
        muster: Math.max(0, median(identified) - median(plain)),
        baseline: median(ss),
        baselineLabel: '`ss -xp` (sock_diag) spawned once',
        target: { kind: 'ratio-at-most', value: 0.1 },
        detail: `ss -xp p50 ${median(ss).toFixed(2)} ms over ${ss.length} spawns`,
      },
      {
        bench: 'peer',
        name: 'origin check of an operator-only request (ancestry walk, p50)',
        unit: 'ms',
        muster: median(walk),
        baseline: median(plain),
        baselineLabel: 'one socket round trip',
        target: { kind: 'none' },
        detail: `${hops} hops from the bench process to init, stat and environ read at each`,
      },
      {
        bench: 'peer',
        name: 'one scan of /proc for the processes of a run (p50)',
        unit: 'ms',
        muster: median(scan),
        baseline: median(ss),
        baselineLabel: '`ss -xp` spawned once',
        target: { kind: 'none' },
        detail: `${procs} processes on the machine; done on stop, cancel, retry, gc, an agent's exit and at start, never per request`,
      },
    ];
  },
};
