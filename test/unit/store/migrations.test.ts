import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../src/adapters/store/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migrate', () => {
  const chain = {
    1: (d: Record<string, unknown>) => ({ ...d, order: [] }),
    2: (d: Record<string, unknown>) => ({ ...d, paused: false }),
  };
  it('runs every step from the stored version to the current one', () => {
    expect(migrate({ version: 1, tasks: [] }, 3, chain, { dir })).toEqual({
      kind: 'migrated',
      from: 1,
      data: { version: 3, tasks: [], order: [], paused: false },
    });
  });
  it('leaves a current store alone', () => {
    expect(migrate({ version: 3 }, 3, chain, { dir })).toEqual({ kind: 'current', data: { version: 3 } });
  });
  it('refuses a newer store, a store without a version and a gap in the chain', () => {
    expect(migrate({ version: 4 }, 3, chain, { dir })).toEqual({ kind: 'newer', version: 4 });
    expect(migrate({ tasks: [] }, 3, chain, { dir }).kind).toBe('unknown-version');
    expect(migrate({ version: 0 }, 3, chain, { dir })).toEqual({ kind: 'no-path', from: 0 });
  });
  it('runs no step at all when a later one is missing, since a step may write files', () => {
    let ran = false;
    expect(migrate({ version: 1 }, 3, { 1: (d) => ((ran = true), d) }, { dir })).toEqual({ kind: 'no-path', from: 2 });
    expect(ran).toBe(false);
  });
});

describe('version 1 to 2: prompts leave the store', () => {
  const v1Task = (id: number, prompt: unknown) => ({ id, title: `t${id}`, prompt, agent: 'shell' });

  it('writes each prompt to tasks/<id>/prompt.txt, readable only by the user, and keeps a reference', () => {
    const big = `Do the thing\n${'é'.repeat(1000)}`;
    const out = migrate({ version: 1, tasks: [v1Task(1, big), v1Task(7, '')] }, 2, MIGRATIONS, { dir });
    expect(out.kind).toBe('migrated');
    if (out.kind !== 'migrated') return;
    expect(out.data.version).toBe(2);
    expect(out.data.tasks).toEqual([
      { ...v1Task(1, undefined), prompt: { file: 'tasks/1/prompt.txt', bytes: Buffer.byteLength(big), preview: 'Do the thing' } },
      { ...v1Task(7, undefined), prompt: { file: 'tasks/7/prompt.txt', bytes: 0, preview: '' } },
    ]);
    expect(readFileSync(join(dir, 'tasks/1/prompt.txt'), 'utf8')).toBe(big);
    expect(readFileSync(join(dir, 'tasks/7/prompt.txt'), 'utf8')).toBe('');
    expect(statSync(join(dir, 'tasks/1/prompt.txt')).mode & 0o777).toBe(0o600);
  });

  it('can run again over its own files, as after a crash before the new store was written', () => {
    const old = { version: 1, tasks: [v1Task(2, 'first words')] };
    const once = migrate(old, 2, MIGRATIONS, { dir });
    const twice = migrate(old, 2, MIGRATIONS, { dir });
    expect(twice).toEqual(once);
    expect(readFileSync(join(dir, 'tasks/2/prompt.txt'), 'utf8')).toBe('first words');
  });

  it('fails, naming why, when a prompt cannot be written', () => {
    writeFileSync(join(dir, 'tasks'), 'a file where the directory goes');
    const out = migrate({ version: 1, tasks: [v1Task(1, 'p')] }, 2, MIGRATIONS, { dir });
    expect(out).toEqual({
      kind: 'failed',
      from: 1,
      why: expect.stringMatching(/the prompt could not be written to .*tasks\/1\/prompt\.txt \((EEXIST|ENOTDIR)\)/),
    });
  });

  it('leaves a task it cannot make sense of for the schema check to refuse', () => {
    const out = migrate({ version: 1, tasks: [v1Task(3, 42), { id: 'x', prompt: 'p' }, null] }, 2, MIGRATIONS, { dir });
    expect(out.kind === 'migrated' && out.data.tasks).toEqual([v1Task(3, 42), { id: 'x', prompt: 'p' }, null]);
  });
});
