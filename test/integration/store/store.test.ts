import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableTextFile } from '../../../src/adapters/store/durable-file.js';
import { Store, StoreRefusedError } from '../../../src/adapters/store/store.js';
import { readPrompt } from '../../../src/adapters/store/prompt-files.js';
import { emptyState, STATE_VERSION } from '../../../src/core/state.js';
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
    expect(JSON.parse(readFileSync(storeFile, 'utf8')).version).toBe(STATE_VERSION);
    expect(
      readFileSync(eventsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).kind),
    ).toEqual(['task-added']);
  });

  it('writes many concurrent commits with every change present and no temp file left', async () => {
    const { store } = await Store.open({ storeFile, eventsFile });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        store.data = addTask(store.data, { title: `t${i}`, agent: 'shell' }, 'now').state;
        return store.commit([]);
      }),
    );
    const again = await Store.open({ storeFile, eventsFile });
    expect(again.store.data.tasks).toHaveLength(50);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a corrupt store and leaves it byte for byte', async () => {
    writeFileSync(storeFile, '{"version": 1, "tasks": [');
    await expect(Store.open({ storeFile, eventsFile })).rejects.toThrow(/not valid JSON.*It has not been modified/);
    expect(readFileSync(storeFile, 'utf8')).toBe('{"version": 1, "tasks": [');
  });

  it('refuses a store that does not match the schema', async () => {
    writeFileSync(storeFile, JSON.stringify({ version: STATE_VERSION, nextTaskId: 'x', paused: false, order: [], tasks: [] }));
    await expect(Store.open({ storeFile, eventsFile })).rejects.toThrow(/does not match the schema \(nextTaskId/);
  });

  it('refuses a store from a newer muster without touching it', async () => {
    const text = JSON.stringify({ version: 7, whatever: true });
    writeFileSync(storeFile, text);
    const err = await Store.open({ storeFile, eventsFile }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreRefusedError);
    expect((err as Error).message).toMatch(new RegExp(`schema version 7, newer than this muster's ${STATE_VERSION}; upgrade muster`));
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

  it('moves the prompts of a version 1 store into files of their own, after keeping a backup of the old store', async () => {
    const prompt = `Rewrite the parser\n${'x'.repeat(3_000_000)}`;
    const v1 = { ...emptyState(), version: 1, nextTaskId: 2, order: [1] };
    const task = addTask({ ...emptyState(), version: 1 }, { title: 'parser', agent: 'shell', prompt }, 'now').task;
    const old = JSON.stringify({ ...v1, tasks: [{ ...task, prompt }] });
    writeFileSync(storeFile, old);
    const { store, backup, migratedFrom } = await Store.open({ storeFile, eventsFile });
    expect(migratedFrom).toBe(1);
    expect(backup && readFileSync(backup, 'utf8')).toBe(old);
    const moved = store.data.tasks[0]!;
    expect(moved.prompt).toEqual({ file: 'tasks/1/prompt.txt', bytes: prompt.length, preview: 'Rewrite the parser' });
    expect(readPrompt(dir, moved)).toEqual({ ok: true, value: prompt });
    const onDisk = readFileSync(storeFile, 'utf8');
    expect(onDisk.length).toBeLessThan(10_000);
    expect(JSON.parse(onDisk)).toMatchObject({ version: STATE_VERSION, tasks: [{ id: 1, title: 'parser', prompt: { file: 'tasks/1/prompt.txt' } }] });
    expect(readFileSync(eventsFile, 'utf8')).toContain(`"kind":"store-migrated","details":{"from":1,"to":${STATE_VERSION}`);
  });

  it('refuses to start when a prompt cannot be moved out, leaving the old store as it was', async () => {
    const task = addTask({ ...emptyState(), version: 1 }, { title: 'x', agent: 'shell' }, 'now').task;
    const old = JSON.stringify({ ...emptyState(), version: 1, nextTaskId: 2, order: [1], tasks: [{ ...task, prompt: 'p' }] });
    writeFileSync(storeFile, old);
    writeFileSync(join(dir, 'tasks'), 'a file where the directory goes');
    await expect(Store.open({ storeFile, eventsFile })).rejects.toThrow(
      /migrating it from schema version 1 failed \(the prompt could not be written to .*\); fix that and start muster again\. It has not been modified/,
    );
    expect(readFileSync(storeFile, 'utf8')).toBe(old);
  });

  it('refuses a store whose prompt reference points outside the task directories, and leaves it as it is', async () => {
    const task = addTask(emptyState(), { title: 'x', agent: 'shell' }, 'now').task;
    const text = JSON.stringify({ ...emptyState(), nextTaskId: 2, order: [1], tasks: [{ ...task, prompt: { ...task.prompt, file: '../../../etc/passwd' } }] });
    writeFileSync(storeFile, text);
    await expect(Store.open({ storeFile, eventsFile })).rejects.toThrow(/does not match the schema \(tasks\.0\.prompt\.file: tasks\/<id>\/prompt\.txt\)/);
    expect(readFileSync(storeFile, 'utf8')).toBe(text);
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
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `
      const fs = require('node:fs');
      const seen = new Set(); const lengths = new Set();
      process.stdout.write('reading\\n');
      while (!fs.existsSync(process.argv[1] + '.stop')) {
        const t = fs.readFileSync(process.argv[1], 'utf8');
        lengths.add(t.length); seen.add(t[0] + t[t.length - 1]);
      }
      process.stdout.write(JSON.stringify({ seen: [...seen], lengths: [...lengths] }));
    `,
        target,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
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
