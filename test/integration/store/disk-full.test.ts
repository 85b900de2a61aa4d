import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store, StoreWriteError } from '../../../src/adapters/store/store.js';
import { connect } from '../../../src/client/connect.js';
import { emptyState, type MusterState } from '../../../src/core/state.js';
import { addTask } from '../../../src/core/task-queue.js';
import { isAlive, muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait.js';
import { mountTmpfs, tmpfsUnavailable, type SmallDisk } from './tmpfs.js';

const unavailable = tmpfsUnavailable();
let disk: SmallDisk | null = null;
let repoDir: string | null = null;
const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  if (repoDir) await stopDaemon(repoDir);
  repoDir = null;
  await disk?.unmount();
  disk = null;
});

/** A prompt large enough that no filesystem has room for it in a partly used page. */
const BIG = 'x'.repeat(16 * 1024);
/**
 * Write patterns whose journal record no filesystem has room for in a partly used page: the
 * record holds a task's patterns whole, while its prompt goes to a file of its own and only a
 * reference to it into the record.
 */
const BIG_WRITES = Array.from({ length: 300 }, (_, i) => `docs/chapter-${i}-${'x'.repeat(40)}.md`);

describe.skipIf(unavailable !== null)(`a full disk${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('refuses the store change it cannot write, rolls memory back to disk, logs nothing of it, and takes changes again once there is room', async () => {
    disk = mountTmpfs(1 << 20);
    const opts = { storeFile: join(disk.dir, 'state.json'), eventsFile: join(disk.dir, 'events.jsonl') };
    const { store } = await Store.open(opts);
    opened.push(store);
    const add = (title: string, writes: string[] = []) => {
      store.data = addTask(store.data, { title, prompt: title, agent: 'shell', writes }, 'now').state;
      return store.commit([{ time: 'now', actor: 'test', kind: 'task-added', details: { title } }]);
    };
    await add('before');
    const rolledBack: { from: MusterState; to: MusterState }[] = [];
    store.onRollback = (from, to) => rolledBack.push({ from, to });
    disk.fill();

    // Two requests in one turn share the record that fails: both are refused.
    const results = await Promise.allSettled([add('big', BIG_WRITES), add('small')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as Error;
      expect(e).toBeInstanceOf(StoreWriteError);
      expect(e.message).toMatch(/^The change was NOT made: the disk is full at .*journal\/000000000001\.jsonl \(ENOSPC\)\. Free space/);
    }
    expect(store.data.tasks.map((t) => t.title)).toEqual(['before']);
    expect(rolledBack.map((r) => [r.from.tasks.length, r.to.tasks.length])).toEqual([[3, 1]]);
    expect(readFileSync(opts.eventsFile, 'utf8')).not.toMatch(/"big"|"small"/);

    disk.free();
    await add('big', BIG_WRITES);
    expect(store.data.tasks.map((t) => t.title)).toEqual(['before', 'big']);
    await store.close();
    const again = await Store.open(opts);
    opened.push(again.store);
    expect(again.store.data.tasks.map((t) => t.title)).toEqual(['before', 'big']);
    expect(readFileSync(opts.eventsFile, 'utf8').match(/"kind":"task-added"/g)).toHaveLength(2);
  });

  it('refuses to migrate a store whose prompts it cannot move out for a full disk, naming the errno and the file, and leaves it as it was', async () => {
    disk = mountTmpfs(1 << 20);
    const opts = { storeFile: join(disk.dir, 'state.json'), eventsFile: join(disk.dir, 'events.jsonl') };
    const task = addTask({ ...emptyState(), version: 1 }, { title: 'x', agent: 'shell' }, 'now').task;
    const old = JSON.stringify({ ...emptyState(), version: 1, nextTaskId: 2, order: [1], tasks: [{ ...task, prompt: BIG }] });
    writeFileSync(opts.storeFile, old);
    disk.fill();
    await expect(Store.open(opts)).rejects.toThrow(
      /migrating it from schema version 1 failed \(the prompt could not be written to .*\/tasks\/1\/prompt\.txt \(ENOSPC\)\); fix that and start muster again\. It has not been modified/,
    );
    expect(readFileSync(opts.storeFile, 'utf8')).toBe(old);
    disk.free();
    const { store } = await Store.open(opts);
    opened.push(store);
    expect(store.data.tasks.map((t) => t.prompt.bytes)).toEqual([BIG.length]);
  });

  it('keeps the supervisor and its agents running, refuses each change with the reason, and recovers when space returns', async () => {
    disk = mountTmpfs(16 << 20);
    const dir = join(disk.dir, 'repo');
    mkdirSync(dir);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=t@muster.invalid', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'initial');
    mkdirSync(join(dir, '.muster'));
    writeFileSync(
      join(dir, '.muster', 'config.yaml'),
      [
        'agents:',
        '  ticker: { command: sh, args: ["-c", "while :; do echo tick; sleep 0.1; done"] }',
        'default_agent: ticker',
        'ports: { base: 41000, block: 5, slots: 4 }',
      ].join('\n'),
    );
    repoDir = dir;
    const events = () => readFileSync(join(dir, '.git', 'muster', 'events.jsonl'), 'utf8');
    interface Task {
      id: number;
      title: string;
      state: string;
      sessions: { pid: number | null }[];
    }

    await musterJson(dir, ['task', 'add', 'agent on a full disk']);
    const agentPid = await waitFor(async () => (await musterJson<Task>(dir, ['task', 'show', '1'])).sessions[0]?.pid, { what: 'the agent to start' });
    const supervisorPid = (await musterJson<{ daemon: { pid: number } }>(dir, ['status'])).daemon.pid;
    // A lock request waiting in the queue whose client goes away while the disk is full: the
    // lock manager drops it in a step nobody awaits, which fails to record, and the
    // supervisor's rejection handler reports it instead of dying.
    // Task 1 holds many locks: any change to the lock table then writes a record larger than
    // the free tail of the journal's last page, so it cannot slip into a full disk.
    const held = ['notes.md', ...Array.from({ length: 300 }, (_, i) => `docs/chapter-${i}-${'x'.repeat(40)}.md`)];
    expect((await muster(dir, ['lock', 'acquire', ...held, '--task', '1'])).code).toBe(0);
    const { client } = await connect({ cwd: dir });
    const notes: string[] = [];
    client.onEvent((e) => e.topic === 'notify' && notes.push((e.data as { message: string }).message));
    await client.call('subscribe', { topics: ['notify'] });
    const { client: waiter } = await connect({ cwd: dir });
    const waiting = waiter.call('lock.acquire', { resources: ['notes.md'], mode: 'write', waitMs: 600_000 }).catch(() => 'gone');
    await waitFor(() => events().includes('"kind":"lock-wait-queued"'), { what: 'the lock request to queue' });
    disk.fill();

    // A new task's prompt is written to its own file before the task is recorded: that file is
    // where the full disk is met first, and the refusal says so in the store's own words.
    const refused = await muster(dir, ['task', 'add', 'big', '--prompt', BIG]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(
      /^muster: The change was NOT made: the disk is full at .*\.git\/muster\/tasks\/2\/prompt\.txt \(ENOSPC\)\. Free space \(or fix the disk\) and try again; running agents go on\.\n$/,
    );
    // A change with no file of its own meets it at the journal.
    const lockRefused = await muster(dir, ['lock', 'acquire', 'refused.md']);
    expect(lockRefused.code, lockRefused.stderr).toBe(1);
    expect(lockRefused.stderr).toMatch(
      /^muster: The change was NOT made: the disk is full at .*\.git\/muster\/journal\/\d+\.jsonl \(ENOSPC\)\. Free space \(or fix the disk\) and try again; running agents go on\.\n$/,
    );
    // The agent's output (its terminal log) and its activity keep failing to write meanwhile.
    await waitFor(async () => (await musterJson<Task[]>(dir, ['task', 'list'])).length === 1, { what: 'a list read from memory' });
    expect(isAlive(supervisorPid)).toBe(true);
    expect(isAlive(agentPid)).toBe(true);
    expect(events()).not.toMatch(/"title":"big"|refused\.md/);
    waiter.close();
    expect(await waiting).toBe('gone');
    await waitFor(() => notes.some((n) => /^A background step failed: The change was NOT made: the disk is full at /.test(n)), {
      what: 'the dropped lock request to fail to record',
      describe: () => [`supervisor alive: ${isAlive(supervisorPid)}`, ...notes, events().slice(-1000)].join('\n'),
    });
    expect(isAlive(supervisorPid)).toBe(true);
    client.close();

    disk.free();
    const added = await muster(dir, ['task', 'add', 'big', '--prompt', BIG, '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect((await musterJson<Task[]>(dir, ['task', 'list'])).map((t) => t.title)).toEqual(['agent on a full disk', 'big']);
    expect((await musterJson<Task>(dir, ['task', 'show', '1'])).state).toBe('running');
    expect(isAlive(agentPid)).toBe(true);
    expect((await musterJson<{ daemon: { pid: number } }>(dir, ['status'])).daemon.pid).toBe(supervisorPid);
    expect(events().match(/"title":"big"/g)).toHaveLength(1);
  }, 120_000);

  it('refuses to start a supervisor on a full disk with a message, no stack trace and no temp file left', async () => {
    disk = mountTmpfs(16 << 20);
    const dir = join(disk.dir, 'repo');
    mkdirSync(dir);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    repoDir = dir;
    await musterJson(dir, ['task', 'add', 'kept']);
    await stopDaemon(dir);
    disk.fill();
    const r = await muster(dir, ['task', 'list']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/Could not take the supervisor lock .*: the disk is full at .* \(ENOSPC\)|exited with code 1 before it was ready/);
    expect(readdirSync(join(dir, '.git', 'muster')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    disk.free();
    expect((await musterJson<{ title: string }[]>(dir, ['task', 'list'])).map((t) => t.title)).toEqual(['kept']);
    expect(existsSync(join(dir, '.git', 'muster', 'journal'))).toBe(true);
  }, 60_000);
});
