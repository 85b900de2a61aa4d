import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planRecovery, recoverStore } from '../../../src/adapters/store/recovery.js';
import { Store, StoreRefusedError, type StoreOptions } from '../../../src/adapters/store/store.js';
import { STATE_VERSION } from '../../../src/core/state.js';
import { addTask } from '../../../src/core/task-queue.js';
import { waitFor } from '../../helpers/wait.js';

let dir: string;
let opts: StoreOptions;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-journal-'));
  opts = { storeFile: join(dir, 'state.json'), eventsFile: join(dir, 'events.jsonl') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const journalDir = () => join(dir, 'journal');
const segments = () => readdirSync(journalDir()).sort();
const journalLines = () => segments().flatMap((f) => readFileSync(join(journalDir(), f), 'utf8').split('\n').filter(Boolean));
const auditLines = () =>
  existsSync(opts.eventsFile)
    ? readFileSync(opts.eventsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { kind: string; details: { title?: string }; seq: number })
    : [];
const titles = (s: Store) => s.data.tasks.map((t) => t.title);

/** Adds tasks one commit each, with a `task-added` audit line per task. */
async function add(store: Store, ...names: string[]): Promise<void> {
  for (const title of names) {
    store.data = addTask(store.data, { title, agent: 'shell' }, 'now').state;
    await store.commit([{ time: 'now', actor: 'test', kind: 'task-added', details: { title } }]);
  }
}

async function reopen(o: StoreOptions = opts): Promise<Store> {
  return (await Store.open(o)).store;
}

describe('the journal', () => {
  it('makes a change durable as one appended record, leaving state.json alone until a snapshot', async () => {
    const store = await reopen();
    const snapshot = readFileSync(opts.storeFile, 'utf8');
    await add(store, 'one');
    expect(journalLines()).toHaveLength(1);
    expect(readFileSync(opts.storeFile, 'utf8')).toBe(snapshot);
    expect(titles(await reopen())).toEqual(['one']);
  });

  it('writes the changes of one event-loop turn as one record (group commit)', async () => {
    const store = await reopen();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        store.data = addTask(store.data, { title: `t${i}`, agent: 'shell' }, 'now').state;
        return store.commit([]);
      }),
    );
    expect(journalLines()).toHaveLength(1);
    expect(titles(await reopen())).toHaveLength(50);
  });

  it('records a task changed in place by id, not the whole task list', async () => {
    const store = await reopen();
    await add(store, 'a', 'b', 'c');
    store.data = { ...store.data, tasks: store.data.tasks.map((t) => (t.id === 2 ? { ...t, title: 'B' } : t)) };
    await store.commit([]);
    const last = JSON.parse(journalLines().at(-1)!) as { r: { tasks: { title: string }[]; taskIds?: number[] } };
    expect(last.r.tasks.map((t) => t.title)).toEqual(['B']);
    expect(last.r.taskIds).toBeUndefined();
    expect(titles(await reopen())).toEqual(['a', 'B', 'c']);
  });

  it('writes a snapshot after N records, keeps the one before as state.json.prev, and drops the journal neither needs', async () => {
    const o = { ...opts, snapshotAfter: { records: 10, bytes: 1e9 } };
    const store = await reopen(o);
    await add(store, ...Array.from({ length: 35 }, (_, i) => `t${i}`));
    const seqOf = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { journalSeq: number }).journalSeq;
    await waitFor(() => seqOf(opts.storeFile) >= 10, { what: 'the first snapshot' });
    // Closing writes the last snapshot; the one before it, taken on the way, becomes .prev.
    await store.close();
    expect(seqOf(opts.storeFile)).toBe(35);
    const prev = seqOf(`${opts.storeFile}.prev`);
    expect(prev).toBeGreaterThanOrEqual(10);
    expect(prev).toBeLessThan(35);
    // What is left of the journal starts right after the previous snapshot: enough to rebuild from it, no more.
    expect(Number(segments()[0]!.slice(0, 12))).toBeGreaterThan(1);
    expect(Number(segments()[0]!.slice(0, 12))).toBeLessThanOrEqual(prev + 1);
    expect(planRecovery(o)).toMatchObject({ ok: true, from: 'previous', baseSeq: prev, throughSeq: 35 });
    expect(titles(await reopen(o))).toHaveLength(35);
  });

  it('ignores a record a killed writer left half-written, cuts it off and goes on after it', async () => {
    const store = await reopen();
    await add(store, 'one', 'two');
    const seg = join(journalDir(), segments().at(-1)!);
    appendFileSync(seg, '{"c":"0badc0de","r":{"seq":3,"v":1,"events":[{"ti');
    const again = await reopen();
    expect(titles(again)).toEqual(['one', 'two']);
    expect(readFileSync(seg, 'utf8').endsWith('}\n')).toBe(true);
    await add(again, 'three');
    expect(titles(await reopen())).toEqual(['one', 'two', 'three']);
  });

  it('refuses a journal with a damaged record in the middle, naming it, and changes nothing', async () => {
    const store = await reopen();
    await add(store, 'one', 'two', 'three');
    const seg = join(journalDir(), segments().at(-1)!);
    const lines = readFileSync(seg, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"two"', '"tw0"');
    writeFileSync(seg, lines.join('\n'));
    const before = readFileSync(seg, 'utf8');
    const err = await Store.open(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreRefusedError);
    expect((err as Error).message).toMatch(
      /its journal cannot be replayed: line 2 of .*000000000001\.jsonl is damaged \(its checksum does not match\), and more of the journal follows it/,
    );
    expect((err as Error).message).toMatch(/move .*journal away/);
    expect(readFileSync(seg, 'utf8')).toBe(before);
  });

  it('never writes an audit line before its change is durable, and writes the lines a crash kept back from the journal', async () => {
    const store = await reopen();
    await add(store, 'one', 'two', 'three');
    expect(auditLines().map((l) => [l.details.title, l.seq])).toEqual([
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ]);
    // A kill between the journal's fsync and the audit append: the last line is missing, the one before half written.
    const text = readFileSync(opts.eventsFile, 'utf8');
    const cut = text.split('\n').slice(0, 1).join('\n');
    writeFileSync(opts.eventsFile, `${cut}\n${text.split('\n')[1]!.slice(0, 20)}`);
    await reopen();
    expect(auditLines().map((l) => [l.details.title, l.seq])).toEqual([
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ]);
  });

  it('migrates a store whose journal has changes on top of its snapshot, keeping both in the backup', async () => {
    const store = await reopen();
    await add(store, 'from the journal');
    // A muster one schema version ahead of this one, whose migration pauses the queue.
    const next = STATE_VERSION + 1;
    const { store: migrated, backup } = await Store.open({ ...opts, version: next, migrations: { [STATE_VERSION]: (d) => ({ ...d, paused: true }) } });
    expect(migrated.data).toMatchObject({ version: next, paused: true });
    expect(titles(migrated)).toEqual(['from the journal']);
    expect(JSON.parse(readFileSync(backup!, 'utf8')).tasks[0].title).toBe('from the journal');
    await add(migrated, 'after');
    const again = await reopen({ ...opts, version: next, migrations: {} });
    expect(titles(again)).toEqual(['from the journal', 'after']);
  });
});

describe('a damaged state.json', () => {
  it('is refused when empty (0 bytes), kept as it is, with the recovery named', async () => {
    const o = { ...opts, snapshotAfter: { records: 5, bytes: 1e9 } };
    const store = await reopen(o);
    await add(store, 'a', 'b', 'c', 'd', 'e', 'f', 'g');
    await store.close();
    truncateSync(opts.storeFile, 0);
    const err = await Store.open(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreRefusedError);
    expect((err as Error).message).toMatch(
      /state\.json: it is empty \(0 bytes\): it was damaged, not started fresh\. It has not been modified\. "muster doctor --recover" rebuilds it from its last good copy state\.json\.prev \(change \d+\) and the \d+ journal changes? after it \(through change 7: 7 tasks\), and keeps the damaged file\./,
    );
    expect(readFileSync(opts.storeFile, 'utf8')).toBe('');
  });

  it('is rebuilt from state.json.prev and the journal after it, the damaged file kept', async () => {
    const o = { ...opts, snapshotAfter: { records: 5, bytes: 1e9 } };
    const store = await reopen(o);
    await add(store, ...Array.from({ length: 12 }, (_, i) => `t${i}`));
    await store.close();
    writeFileSync(opts.storeFile, '{"version": 1, "tas');
    const { plan, keptAs } = await recoverStore(o);
    expect(plan.from).toBe('previous');
    expect(readFileSync(keptAs!, 'utf8')).toBe('{"version": 1, "tas');
    expect(titles(await reopen(o))).toEqual(Array.from({ length: 12 }, (_, i) => `t${i}`));
  });

  it('is rebuilt from the journal alone when it reaches back to the first change', async () => {
    const store = await reopen();
    await add(store, 'x', 'y');
    truncateSync(opts.storeFile, 0);
    expect(existsSync(`${opts.storeFile}.prev`)).toBe(false);
    const plan = planRecovery(opts);
    expect(plan).toMatchObject({ ok: true, from: 'empty', throughSeq: 2 });
    await recoverStore(opts);
    expect(titles(await reopen())).toEqual(['x', 'y']);
  });

  it('is refused with the reason when nothing can rebuild it', async () => {
    const store = await reopen({ ...opts, snapshotAfter: { records: 2, bytes: 1e9 } });
    await add(store, 'a', 'b', 'c', 'd', 'e', 'f');
    await store.close();
    truncateSync(opts.storeFile, 0);
    rmSync(`${opts.storeFile}.prev`);
    expect(planRecovery(opts)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/state\.json\.prev is missing; and the journal does not reach back to the first change \(it starts at change \d+\)/),
    });
    await expect(Store.open(opts)).rejects.toThrow(
      /it is empty \(0 bytes\): it was damaged, not started fresh\. It has not been modified\. Restore it from a backup, or move it away to start with an empty store\.$/,
    );
  });
});
