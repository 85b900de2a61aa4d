import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'muster-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  figures: { bench: string; name: string; muster: number; baseline: number; baselineLabel: string }[];
  errors: { bench: string; message: string }[];
}

// Only that every figure is produced, with a baseline: timings are for `npm run bench`, never
// asserted in tests (they depend on the machine and whatever else runs on it).
describe('npm run bench -- --quick', () => {
  it('produces every figure as a number beside a measured baseline', () => {
    const out = join(dir, 'result.json');
    execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-write', '--json', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Ten parts with real agents, tmux and sshd: 170–250 s at CI's usual load, but 380 s was
      // passed at load 12+ with other work beside it. A timeout says nothing about muster.
      timeout: 900_000,
    });
    const result = JSON.parse(readFileSync(out, 'utf8')) as Result;
    expect(result.errors).toEqual([]);
    const benches = new Set(result.figures.map((f) => f.bench));
    expect([...benches].sort()).toEqual(['conflicts', 'dispatch', 'latency', 'locks', 'memory', 'peer', 'pipeline', 'scale', 'ssh', 'startup']);
    for (const f of result.figures) {
      expect(Number.isFinite(f.muster), `${f.name}: muster`).toBe(true);
      expect(Number.isFinite(f.baseline), `${f.name}: baseline`).toBe(true);
      expect(f.baselineLabel, `${f.name}: what the baseline is`).not.toBe('');
    }
  }, 920_000);
});
