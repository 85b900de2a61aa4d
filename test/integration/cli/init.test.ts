import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { muster } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo;
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(() => repo.cleanup());

describe('muster init', () => {
  it('writes a commented config that parses, with gates proposed from package.json', async () => {
    writeFileSync(join(repo.dir, 'package.json'), JSON.stringify({ scripts: { test: 'vitest run', typecheck: 'tsc --noEmit' } }));
    const r = await muster(repo.dir, ['init']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote \.muster\/config\.yaml with gates: typecheck, test/);
    const text = readFileSync(join(repo.dir, '.muster', 'config.yaml'), 'utf8');
    expect(text).toMatch(/^# muster configuration/);
    const config = parseConfig(text, 'x');
    expect(config.quality_gates.map((g) => g.run)).toEqual(['npm run typecheck', 'npm test']);
    expect(config.merge.target).toBe('main');
  });

  it('keeps an existing config unless --force, and backs it up when forced', async () => {
    mkdirSync(join(repo.dir, '.muster'));
    writeFileSync(join(repo.dir, '.muster', 'config.yaml'), 'parallel: { max_workers: 2 }\n');
    const kept = await muster(repo.dir, ['init']);
    expect(kept.code).toBe(2);
    expect(kept.stderr).toMatch(/already exists and was left as it is.*--force/);
    expect(readFileSync(join(repo.dir, '.muster', 'config.yaml'), 'utf8')).toBe('parallel: { max_workers: 2 }\n');
    expect((await muster(repo.dir, ['init', '--force'])).code).toBe(0);
    expect(readFileSync(join(repo.dir, '.muster', 'config.yaml.bak'), 'utf8')).toBe('parallel: { max_workers: 2 }\n');
  });

  it('refuses outside a git repository with exit 2 and writes nothing', async () => {
    const outside = join(repo.root, 'plain');
    mkdirSync(outside);
    const r = await muster(outside, ['init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not inside a git repository/);
    expect(existsSync(join(outside, '.muster'))).toBe(false);
  });

  it('prints help for every command and exits 0', async () => {
    for (const args of [['--help'], ['task', 'add', '--help'], ['init', '--help'], ['status', '--help']]) {
      const r = await muster(repo.dir, args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: muster/);
    }
  });
});
