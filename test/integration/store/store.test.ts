import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableTextFile } from '../../../src/adapters/store/durable-file.js';
import { Store, StoreRefusedError } from '../../../src/adapters/store/store.js';
import { addTask } from '../../../src/core/task-queue.js';
import { waitFor } from '../../helpers/wait.js';

let dir: string;
let storeFile: string;
let eventsFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-store-'));
  storeFile = join(dir, 'state.json');
  eventsFile = join(dir, 'events.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Store', () => {
  it('creates a versioned store file and keeps committed changes across reopen', async () => {
    const { store } = await Store.open({ storeFile, eventsFile });
    store.data = addTask(store.data, { title: 'one', agent: 'shell' }, 'now').state;
    await store.commit([{ time: 'now', actor: 'test', kind: 'task-added', details: { task: 1 } }]);
    const again = await Store.open({ storeFile, eventsFile });
    expect(again.store.data.tasks.map((t) => t.title)).toEqual(['one']);
    expect(JSON.parse(readFileSync(storeFile, 'utf8')).version).toBe(1);
    expect(readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l).kind)).toEqual(['task-added']);
  });

  it('writes many concurrent commits with every change present and no temp file left', async () => {
    const { store } = await Store.open({ storeFile, eventsFile });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        store.data = addTask(store.data, { title: `t${i}`, agent: 'shell' }, 'now').state;
        return store.commit([]);
      }),
    );
    const onDisk = JSON.parse(readFileSync(storeFile, 'utf8'));
    expect(onDisk.tasks).toHaveLength(50);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a corrupt store and leaves it byte for byte', async () => {
    writeFileSync(storeFile, '{"version": 1, "tasks": [');
    await expect(Store.open({ storeFile, eventsFile })).rejects.toThrow(/not valid JSON.*It has not been modified/);
    expect(readFileSync(storeFile, 'utf8')).toBe('{"version": 1, "tasks": [');
  });

  it('refuses a store that does not match the schema', async () => {
    writeFileSync(storeFile, JSON.stringify({ version: 1, nextTaskId: 'x', paused: false, order: [], tasks: [] }));
    await expect(Store.open({ storeFile, eventsFile })).rejects.toThrow(/does not match the schema \(nextTaskId/);
  });

  it('refuses a store from a newer muster without touching it', async () => {
    const text = JSON.stringify({ version: 7, whatever: true });
    writeFileSync(storeFile, text);
    const err = await Store.open({ storeFile, eventsFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreRefusedError);
    expect((err as Error).message).toMatch(/schema version 7, newer than this muster's 1; upgrade muster/);
    expect(readFileSync(storeFile, 'utf8')).toBe(text);
  });

  it('migrates an older store after keeping a backup copy of it', async () => {
    const old = JSON.stringify({ version: 1, nextTaskId: 1, tasks: [] });
    writeFileSync(storeFile, old);
    const { store, backup, migratedFrom } = await Store.open({
      storeFile,
      eventsFile,
      version: 2,
      migrations: { 1: (d) => ({ ...d, paused: false, order: [] }) },
    });
    expect(migratedFrom).toBe(1);
    expect(backup && readFileSync(backup, 'utf8')).toBe(old);
    expect(store.data).toMatchObject({ version: 2, paused: false, order: [] });
    expect(JSON.parse(readFileSync(storeFile, 'utf8')).version).toBe(2);
  });

  it('removes temp files a killed writer left behind', async () => {
    writeFileSync(join(dir, '.state.json.123.abc.tmp'), '{"half');
    await Store.open({ storeFile, eventsFile });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('DurableTextFile', () => {
  it('replaces the file atomically: a reader in another process sees the old or the new text, never a mix', async () => {
    const target = join(dir, 'x.json');
    const file = new DurableTextFile(target);
    const big = (c: string) => c.repeat(2_000_000);
    await file.write(big('a'));
    // The reader runs on its own, as another muster process would, until told to stop.
    const reader = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const seen = new Set(); const lengths = new Set();
      process.stdout.write('reading\\n');
      while (!fs.existsSync(process.argv[1] + '.stop')) {
        const t = fs.readFileSync(process.argv[1], 'utf8');
        lengths.add(t.length); seen.add(t[0] + t[t.length - 1]);
      }
      process.stdout.write(JSON.stringify({ seen: [...seen], lengths: [...lengths] }));
    `, target], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (d) => (out += d));
    await waitFor(() => out.includes('reading'), { what: 'the reader to start' });
    for (const c of 'bcdefghij') {
      await file.write(big(c));
      await new Promise((r) => setTimeout(r, 5));
    }
    writeFileSync(`${target}.stop`, '');
    await new Promise((r) => reader.on('close', r));
    const result = JSON.parse(out.slice(out.indexOf('{'))) as { seen: string[]; lengths: number[] };
    expect(result.lengths).toEqual([2_000_000]);
    for (const s of result.seen) expect(s[0], `a read began with ${s[0]} and ended with ${s[1]}`).toBe(s[1]);
    expect(result.seen.length, 'the reader saw more than one version').toBeGreaterThan(1);
    expect(readFileSync(target, 'utf8')).toBe(big('j'));
  });
});
