import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
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

  // What each kind of project init recognises makes it propose; `none` proposes nothing.
  const projects: [string, Record<string, string>, string[]][] = [
    ['package.json', { 'package.json': JSON.stringify({ scripts: { lint: 'eslint .', test: 'vitest run' } }) }, ['npm run lint', 'npm test']],
    ['package.json without scripts', { 'package.json': '{"name": "x", "scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}' }, []],
    ['Makefile', { Makefile: 'build:\n\tcc main.c\ntest:\n\t./run-tests\n' }, ['make test']],
    ['Makefile without a test target', { Makefile: 'build:\n\tcc main.c\n' }, []],
    ['Cargo.toml', { 'Cargo.toml': '[package]\nname = "x"\n' }, ['cargo test']],
    ['go.mod', { 'go.mod': 'module example.com/x\n' }, ['go test ./...']],
    ['pyproject.toml', { 'pyproject.toml': '[project]\nname = "x"\n' }, ['python -m pytest']],
    ['none', {}, []],
  ];
  it.each(projects)('writes a config that loads for a project with %s', async (_kind, files, gates) => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(repo.dir, name), text);
    const r = await muster(repo.dir, ['init'], { env: { PATH: '/nonexistent' } });
    expect(r.code, r.stderr).toBe(0);
    const config = loadConfig(join(repo.dir, '.muster', 'config.yaml'), repo.dir);
    expect(config.quality_gates.map((g) => g.run)).toEqual(gates);
    if (!gates.length) expect(r.stdout).toContain('no quality gates found to propose');
    // Every other command loads the same file: status starts a supervisor with it.
    if (_kind === 'none') {
      const status = await muster(repo.dir, ['status', '--json']);
      try {
        expect(status.code, status.stderr).toBe(0);
      } finally {
        await muster(repo.dir, ['stop']);
      }
    }
  });

  it('picks the first agent CLI found on PATH as the default agent, and says which', async () => {
    const bin = join(repo.root, 'bin');
    mkdirSync(bin);
    for (const name of ['gemini', 'aider']) {
      writeFileSync(join(bin, name), '#!/bin/sh\n');
      chmodSync(join(bin, name), 0o755);
    }
    // Not executable: not an agent that exists.
    writeFileSync(join(bin, 'codex'), '');
    const r = await muster(repo.dir, ['init'], { env: { PATH: `/nonexistent:${bin}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Default agent: gemini (found on PATH)');
    expect(loadConfig(join(repo.dir, '.muster', 'config.yaml')).default_agent).toBe('gemini');
  });

  it('falls back to the shell agent when no agent CLI is on PATH, and says so', async () => {
    const r = await muster(repo.dir, ['init'], { env: { PATH: '/nonexistent' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Default agent: shell (a bash session), since none of claude, codex, gemini, aider is on PATH');
    expect(loadConfig(join(repo.dir, '.muster', 'config.yaml')).default_agent).toBe('shell');
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
