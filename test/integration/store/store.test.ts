import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableTextFile } from '../../../src/adapters/store/durable-file.js';
import { Store, StoreRefusedError } from '../../../src/adapters/store/store.js';
import { addTask } from '../../../src/core/task-queue.js';

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
  it('replaces the file atomically: a reader sees the old or the new text, never a mix', async () => {
    const file = new DurableTextFile(join(dir, 'x.json'));
    const big = (c: string) => c.repeat(2_000_000);
    await file.write(big('a'));
    let done = false;
    const writes = (async () => {
      for (const c of 'bcdef') await file.write(big(c));
      done = true;
    })();
    const seen = new Set<string>();
    while (!done) {
      const text = readFileSync(join(dir, 'x.json'), 'utf8');
      expect(text.length).toBe(2_000_000);
      seen.add(`${text[0]}${text[text.length - 1]}`);
      await new Promise((r) => setImmediate(r));
    }
    await writes;
    for (const s of seen) expect(s[0]).toBe(s[1]);
    expect(seen.size).toBeGreaterThan(1);
    expect(existsSync(join(dir, 'x.json'))).toBe(true);
  });
});
