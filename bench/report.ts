import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cpus, release, totalmem } from 'node:os';
import { meetsTarget, ratioOf, targetText, type Figure } from './lib/figure.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  git: string;
  tmux: string;
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'not found';
  }
}

export function machineInfo(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    git: version('git', ['--version']).replace(/^git version /, ''),
    tmux: version('tmux', ['-V']).replace(/^tmux /, ''),
  };
}

/** A value with its unit, to the precision that means something for it. */
export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  const n = unit === 'count' ? String(Math.round(v)) : v.toFixed(digits);
  if (unit === '%') return `${n}%`;
  if (unit === 'count' || unit === '') return n;
  return `${n} ${unit}`;
}

export function formatRatio(f: Figure): string {
  const r = ratioOf(f);
  if (!Number.isFinite(r)) return '∞';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function okText(f: Figure): string {
  const ok = meetsTarget(f);
  return ok === null ? '' : ok ? 'ok' : 'NOT MET';
}

function rows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    f.name,
    formatValue(f.muster, f.unit),
    `${formatValue(f.baseline, f.unit)} (${f.baselineLabel})`,
    formatRatio(f),
    targetText(f),
    okText(f),
  ]);
}

const HEAD = ['figure', 'muster', 'baseline', 'ratio', 'target', 'ok'];

/** The results as a plain-text table for the terminal. */
export function formatTable(figures: Figure[]): string {
  const all = [HEAD, ...rows(figures)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => [...r[i]!].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i]! - [...c].length))
      .join('  ')
      .trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export interface RunResult {
  mode: 'full' | 'quick';
  date: string;
  durationMs: number;
  /** 1/5/15-minute load averages when the run started and ended: other work on the machine skews every figure. */
  load: { start: number[]; end: number[] };
  machine: Machine;
  figures: Figure[];
  errors: { bench: string; message: string }[];
  methods: { name: string; method: string; durationMs: number }[];
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

/** BENCHMARKS.md: the machine, the date, the table, what every benchmark measures. */
export function markdown(r: RunResult): string {
  const m = r.machine;
  const out: string[] = [
    '# muster benchmarks',
    '',
    `Measured by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\` on ${r.date} (${r.mode} run, ${(r.durationMs / 1000).toFixed(0)} s).`,
    'Every figure is printed beside a baseline measured in the same run; ratio = muster ÷ baseline.',
    'Targets are those of the specification (§12). Regenerate this file with `npm run bench`.',
    '',
    '## Machine',
    '',
    `| cpu | cores | memory | kernel | node | git | tmux |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    `| ${esc(m.cpu)} | ${m.cores} | ${m.memoryGb} GB | ${m.kernel} | ${m.node} | ${m.git} | ${m.tmux} |`,
    '',
    `Load average (1/5/15 min) ${r.load.start.map((x) => x.toFixed(2)).join(' / ')} when the run started, ${r.load.end.map((x) => x.toFixed(2)).join(' / ')} when it ended: anything else running on the machine shares its ${m.cores} cores with both muster and the baselines.`,
    '',
    '## Results',
    '',
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map(() => '---').join(' | ')} |`,
    ...rows(r.figures).map((row) => `| ${row.map(esc).join(' | ')} |`),
    '',
  ];
  if (r.errors.length) {
    out.push('## Benchmarks that failed', '');
    for (const e of r.errors) out.push(`- **${e.bench}**: ${esc(e.message.split('\n')[0] ?? '')}`);
    out.push('');
  }
  const details = r.figures.filter((f) => f.detail);
  if (details.length) {
    out.push('## Details', '');
    for (const f of details) out.push(`- **${f.name}**: ${f.detail}`);
    out.push('');
  }
  // What was changed because of these figures, with before and after: kept by hand beside
  // the benchmarks, carried into every regenerated file.
  const notes = resolve(import.meta.dirname, 'OPTIMISATIONS.md');
  if (existsSync(notes)) out.push(readFileSync(notes, 'utf8').trim(), '');
  out.push('## How each figure is measured', '');
  for (const b of r.methods) out.push(`### ${b.name} (${(b.durationMs / 1000).toFixed(0)} s)`, '', b.method, '');
  return out.join('\n');
}

export function writeMarkdown(file: string, r: RunResult): void {
  writeFileSync(file, markdown(r));
}
