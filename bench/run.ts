// `npm run bench`: measures muster against its baselines (spec §12) and writes BENCHMARKS.md.
//   --quick         small sizes, about a minute in all
//   --only <names>  comma-separated: pipeline,latency,memory,startup,dispatch,conflicts,locks,peer,ssh,scale
//   --no-write      print only; leave BENCHMARKS.md alone
//   --write         write BENCHMARKS.md even for a --quick or --only run
//   (by default a full run of every benchmark writes BENCHMARKS.md; a partial one does not)
//   --json <file>   also write the results as JSON
//   --profile <dir> run supervisors and TUIs with --cpu-prof, profiles in <dir>/<bench>-<process>/
//                   (summarise one with: npx tsx bench/profile-summary.ts <file.cpuprofile>)
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { conflicts } from './conflicts.js';
import { dispatch } from './dispatch.js';
import { Cleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { latency } from './latency.js';
import { locks } from './locks.js';
import { memory } from './memory.js';
import { peer } from './peer.js';
import { pipeline } from './pipeline.js';
import { profiling } from './lib/muster.js';
import { formatTable, machineInfo, writeMarkdown, type RunResult } from './report.js';
import { scale } from './scale.js';
import { ssh } from './ssh.js';
import { startup } from './startup.js';

export const BENCHES: readonly Bench[] = [pipeline, latency, memory, startup, dispatch, conflicts, locks, peer, ssh, scale];

const ROOT = resolve(import.meta.dirname, '..');

export async function runBenchmarks(opts: { quick: boolean; only?: string[]; log?: (msg: string) => void }): Promise<RunResult> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const unknown = (opts.only ?? []).filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) throw new Error(`Unknown benchmark ${unknown.join(', ')}; there are ${BENCHES.map((b) => b.name).join(', ')}.`);
  const chosen = opts.only?.length ? BENCHES.filter((b) => opts.only!.includes(b.name)) : BENCHES;
  const started = Date.now();
  const loadStart = loadavg();
  const figures: Figure[] = [];
  const errors: RunResult['errors'] = [];
  const methods: RunResult['methods'] = [];
  for (const bench of chosen) {
    const t0 = Date.now();
    log(`bench: ${bench.name}…`);
    try {
      const got = await bench.run({ quick: opts.quick, log: (m) => log(`bench: ${bench.name}: ${m}`) });
      figures.push(...got);
    } catch (e) {
      const message = (e as Error).stack ?? String(e);
      errors.push({ bench: bench.name, message });
      log(`bench: ${bench.name} FAILED: ${message}`);
    }
    methods.push({ name: bench.name, method: bench.method, durationMs: Date.now() - t0 });
    log(`bench: ${bench.name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return {
    mode: opts.quick ? 'quick' : 'full',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    durationMs: Date.now() - started,
    load: { start: loadStart, end: loadavg() },
    machine: machineInfo(),
    figures,
    errors,
    methods,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      json: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  if (!existsSync(resolve(ROOT, 'dist/bundle/load.cjs'))) {
    process.stderr.write('bench: dist/bundle is missing. Run "npm run build" first.\n');
    return 2;
  }
  const stop = () => {
    void Cleanup.runAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (values.profile) profiling.dir = resolve(values.profile);
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = (only ?? []).filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: no benchmark called ${unknown.join(', ')}; there are ${BENCHES.map((b) => b.name).join(', ')}.\n`);
    return 2;
  }
  const result = await runBenchmarks({ quick: values.quick, only });
  process.stdout.write(`\n${formatTable(result.figures)}\n\n`);
  process.stdout.write(
    `${result.mode} run: ${(result.durationMs / 1000).toFixed(1)} s; ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}, git ${result.machine.git}, tmux ${result.machine.tmux}; load average ${result.load.start[0]!.toFixed(2)} at start, ${result.load.end[0]!.toFixed(2)} at end\n`,
  );
  for (const e of result.errors) process.stdout.write(`FAILED ${e.bench}: ${e.message.split('\n')[0]}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  const partial = values.quick || Boolean(only?.length);
  if (!values['no-write'] && (values.write || !partial)) {
    writeMarkdown(resolve(ROOT, 'BENCHMARKS.md'), result);
    process.stdout.write('Wrote BENCHMARKS.md\n');
  } else if (!values['no-write']) {
    process.stdout.write('BENCHMARKS.md left as it is (a --quick or --only run; --write writes it anyway).\n');
  }
  return result.errors.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.exitCode = await main();
}
