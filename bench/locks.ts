import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '../src/client/connect.js';
import { createTempRepo } from '../test/helpers/temp-repo.js';
import { withCleanup, type Cleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { auditEvents, BIN, benchRepo, startSupervisor, testEnv } from './lib/muster.js';
import { median, nowMs, percentile } from './lib/stats.js';

const WORKER = resolve(import.meta.dirname, 'lib/lock-worker.ts');

/** Wall time of running each command in turn, to its end. */
function timeSequence(commands: string[][], cwd: string): number {
  const t = nowMs();
  for (const [cmd, ...args] of commands) {
    const r = spawnSync(cmd!, args, { cwd, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return nowMs() - t;
}

/**
 * The floor the store's journal puts under every acknowledged change on this disk: append a
 * record of about a lock change's size to a file and fdatasync it. Times in ms.
 */
function durableWrites(dir: string, n: number): number[] {
  const times: number[] = [];
  const file = join(dir, 'bench-journal');
  const fd = openSync(file, 'a');
  const record = Buffer.from(`${'x'.repeat(600)}\n`);
  try {
    for (let i = 0; i < n; i++) {
      const t = nowMs();
      writeSync(fd, record);
      fdatasyncSync(fd);
      times.push(nowMs() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return times;
}

/**
 * `clients` processes, connected and waiting, then released at once: each does `ops`
 * increments of one counter file, under the lock or not. Returns what the counter lost.
 */
async function contend(
  cleanup: Cleanup,
  dir: string,
  clients: number,
  ops: number,
  resource: string,
  mode: 'lock' | 'none',
): Promise<{ lost: number; granted: number; refused: number; ms: number }> {
  const counter = join(dir, '..', `counter-${mode}`);
  writeFileSync(counter, '0');
  const workers = Array.from({ length: clients }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, dir, String(ops), resource, counter, mode], {
      cwd: resolve(import.meta.dirname, '..'),
      env: testEnv(),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    cleanup.defer(`stop lock worker ${child.pid}`, () => child.exitCode === null && child.kill('SIGKILL'));
    const lines: string[] = [];
    const rl = createInterface({ input: child.stdout });
    const ready = new Promise<void>((r) => rl.once('line', () => r()));
    rl.on('line', (l) => lines.push(l));
    const done = new Promise<{ granted: number; refused: number }>((res, rej) =>
      child.on('close', (code) =>
        code === 0 ? res(JSON.parse(lines.at(-1)!) as { granted: number; refused: number }) : rej(new Error(`lock worker exited ${code}`)),
      ),
    );
    return { child, ready, done };
  });
  await Promise.all(workers.map((w) => w.ready));
  const t = nowMs();
  for (const w of workers) w.child.stdin.end('go\n');
  const results = await Promise.all(workers.map((w) => w.done));
  const ms = nowMs() - t;
  const value = Number(readFileSync(counter, 'utf8'));
  return { lost: clients * ops - value, granted: results.reduce((s, r) => s + r.granted, 0), refused: results.reduce((s, r) => s + r.refused, 0), ms };
}

export const locks: Bench = {
  name: 'locks',
  method: [
    "Socket: an in-process client (src/client/connect.ts) times 500 (quick: 100) `lock.acquire` + `lock.release` pairs of one path, one after another, each request timed on its own (a round trip is one request and its reply, the change durable before the reply); p50 and p99 beside the same number of `ping` round trips on the same connection. The pair is reported beside the disk's own p99 for two journal records. The disk's floor for one durable journal record (append about 600 bytes, fdatasync) is measured beside it, since every acknowledged change is one such record first.",
    "CLI: `node bin/muster.js lock acquire bench/cli.txt` then `… lock release bench/cli.txt`, beside `node -e ''` twice (10 pairs each, quick: 2, alternating, after a warm-up; medians).",
    'Lost updates: 16 client processes (quick: 4), each with its own connection and owning its locks by its own pid, are released at once; each does 50 (quick: 10) read-modify-write increments of one counter file (1 ms between read and write), each under an exclusive `lock.acquire` (waiting in the FIFO queue) and `lock.release`. Lost = expected − final counter, plus any grant missing from `events.jsonl`, any refused acquire and any lock left held. Baseline: the same clients with no lock.',
  ].join('\n\n'),
  async run({ quick, log }) {
    const pairs = quick ? 100 : 500;
    const cliRuns = quick ? 2 : 10;
    const clients = quick ? 4 : 16;
    const ops = quick ? 10 : 50;
    return withCleanup(async (cleanup) => {
      const repo = benchRepo(cleanup, { repo: createTempRepo(), agents: { idle: { command: 'sleep', args: ['1000'] } }, defaultAgent: 'idle', maxWorkers: 1 });
      await startSupervisor(repo.dir, 'locks-supervisor');
      const { client } = await connect({ cwd: repo.dir });
      cleanup.defer('close the socket client', () => client.close());

      for (let i = 0; i < 20; i++) await client.call('ping', {});
      const ping: number[] = [];
      const acquire: number[] = [];
      const release: number[] = [];
      const pair: number[] = [];
      for (let i = 0; i < pairs; i++) {
        let t = nowMs();
        await client.call('ping', {});
        ping.push(nowMs() - t);
        t = nowMs();
        const r = await client.call('lock.acquire', { resources: ['bench/socket.txt'], mode: 'write', waitMs: 0 });
        if (!r.granted) throw new Error('socket lock.acquire was refused');
        const mid = nowMs();
        await client.call('lock.release', { resources: ['bench/socket.txt'] });
        acquire.push(mid - t);
        release.push(nowMs() - mid);
        pair.push(nowMs() - t);
      }
      const fsyncs = durableWrites(join(repo.dir, '..'), 200);
      log(`socket pair p50 ${percentile(pair, 50).toFixed(2)} ms p99 ${percentile(pair, 99).toFixed(2)} ms; ping p50 ${percentile(ping, 50).toFixed(2)} ms`);

      const node = process.execPath;
      const cliPair = [
        [node, BIN, 'lock', 'acquire', 'bench/cli.txt'],
        [node, BIN, 'lock', 'release', 'bench/cli.txt'],
      ];
      const barePair = [
        [node, '-e', ''],
        [node, '-e', ''],
      ];
      timeSequence(cliPair, repo.dir);
      timeSequence(barePair, repo.dir);
      const cli: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < cliRuns; i++) {
        cli.push(timeSequence(cliPair, repo.dir));
        bare.push(timeSequence(barePair, repo.dir));
      }
      log(`CLI acquire+release ${median(cli).toFixed(0)} ms, node -e '' ×2 ${median(bare).toFixed(0)} ms`);

      const before = auditEvents(repo.dir).length;
      const locked = await contend(cleanup, repo.dir, clients, ops, 'bench/counter.txt', 'lock');
      const grantsLogged = auditEvents(repo.dir)
        .slice(before)
        .filter((e) => e.kind === 'lock-granted' && JSON.stringify(e.details.locks).includes('bench/counter.txt')).length;
      const left = (await client.call('lock.list', {})).filter((l) => l.resource === 'bench/counter.txt').length;
      const unlocked = await contend(cleanup, repo.dir, clients, ops, 'bench/counter.txt', 'none');
      const expected = clients * ops;
      const lost = locked.lost + Math.abs(expected - grantsLogged) + locked.refused + left;
      log(
        `with locks: lost ${locked.lost}, grants logged ${grantsLogged}/${expected}, refused ${locked.refused}, left ${left}; without: lost ${unlocked.lost}`,
      );

      const figures: Figure[] = [
        {
          bench: 'locks',
          name: 'lock acquire round trip via socket, p50',
          unit: 'ms',
          muster: percentile(acquire, 50),
          baseline: percentile(ping, 50),
          baselineLabel: 'ping round trip',
          target: { kind: 'at-most', value: 1 },
        },
        {
          bench: 'locks',
          name: 'lock acquire round trip via socket, p99',
          unit: 'ms',
          muster: percentile(acquire, 99),
          baseline: percentile(ping, 99),
          baselineLabel: 'ping round trip',
          target: { kind: 'below', value: 5 },
          detail: `${pairs} acquires, each answered once the grant is durable: p50 ${percentile(acquire, 50).toFixed(2)}, p99 ${percentile(acquire, 99).toFixed(2)}, max ${Math.max(...acquire).toFixed(2)} ms.`,
        },
        {
          bench: 'locks',
          name: 'lock release round trip via socket, p99',
          unit: 'ms',
          muster: percentile(release, 99),
          baseline: percentile(ping, 99),
          baselineLabel: 'ping round trip',
          target: { kind: 'below', value: 5 },
          detail: `${pairs} releases: p50 ${percentile(release, 50).toFixed(2)}, p99 ${percentile(release, 99).toFixed(2)}, max ${Math.max(...release).toFixed(2)} ms.`,
        },
        {
          bench: 'locks',
          name: 'lock acquire+release pair via socket, p99',
          unit: 'ms',
          muster: percentile(pair, 99),
          baseline: 2 * percentile(fsyncs, 99),
          baselineLabel: "the disk's p99 for two journal records",
          target: { kind: 'none' },
          detail: `${pairs} pairs: p50 ${percentile(pair, 50).toFixed(2)}, p99 ${percentile(pair, 99).toFixed(2)}, max ${Math.max(...pair).toFixed(2)} ms; ping p50 ${percentile(ping, 50).toFixed(2)}, p99 ${percentile(ping, 99).toFixed(2)} ms. The disk's floor for one journal record (append, fdatasync; 200 runs): p50 ${percentile(fsyncs, 50).toFixed(2)}, p99 ${percentile(fsyncs, 99).toFixed(2)} ms; a pair makes two.`,
        },
        {
          bench: 'locks',
          name: 'lock acquire && release via CLI',
          unit: 'ms',
          muster: median(cli),
          baseline: median(bare),
          baselineLabel: "node -e '' ×2",
          target: { kind: 'ratio-at-most', value: 1.3 },
          detail: `medians of ${cliRuns}: CLI ${cli.map((x) => x.toFixed(0)).join(', ')} ms; node -e '' ×2 ${bare.map((x) => x.toFixed(0)).join(', ')} ms.`,
        },
        {
          bench: 'locks',
          name: `lost updates, ${clients} clients × ${ops} locked increments`,
          unit: 'count',
          muster: lost,
          baseline: unlocked.lost,
          baselineLabel: 'same clients, no lock',
          target: { kind: 'at-most', value: 0 },
          detail: `with locks: counter ${expected - locked.lost}/${expected}, ${grantsLogged} grants in events.jsonl, ${locked.refused} refused, ${left} left held, ${(locked.ms / 1000).toFixed(1)} s (${(locked.ms / expected).toFixed(1)} ms per increment); without: counter ${expected - unlocked.lost}/${expected} in ${(unlocked.ms / 1000).toFixed(1)} s.`,
        },
      ];
      return figures;
    });
  },
};
