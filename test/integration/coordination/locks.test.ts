import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, muster, musterJson, stopDaemon, testEnv } from '../../helpers/cli.js';
import { clientFor } from '../../helpers/supervisor.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo;

/** A repository whose supervisor has tasks #1, #2 and #3 as lock owners only: nothing is dispatched. */
async function ownersRepo(): Promise<TempRepo> {
  const r = createTempRepo();
  // Set up from this process (the CLI is what the tests themselves run).
  const client = await clientFor(r.dir);
  try {
    await client.call('dispatch.pause', {});
    for (const title of ['one', 'two', 'three']) await client.call('task.add', { title, risk: 'low' });
  } finally {
    client.close();
  }
  return r;
}

async function dropRepo(): Promise<void> {
  await stopDaemon(repo.dir);
  repo.cleanup();
}

/** Each test of `body` gets a repository and a supervisor of its own. */
function eachFresh(): void {
  beforeEach(async () => {
    repo = await ownersRepo();
  });
  afterEach(dropRepo);
}

/**
 * The tests of `body` share one supervisor (a start and a stop per test were most of their
 * time), each starting with no lock held: the tasks' locks are released before it.
 */
function shared(): void {
  beforeAll(async () => {
    repo = await ownersRepo();
  });
  afterAll(dropRepo);
  beforeEach(async () => {
    const client = await clientFor(repo.dir);
    try {
      for (const task of [1, 2, 3]) await client.call('lock.release', { all: true, task });
      const left = await client.call('lock.list', {});
      if (left.length) throw new Error(`a test left locks no task owns: ${JSON.stringify(left)}; give it a fresh repository`);
    } finally {
      client.close();
    }
  });
}

interface Denied {
  granted: false;
  conflicts: { resource: string; mode: string; holder: { task?: number; pid?: number }; heldResource: string; stale: boolean }[];
}

async function acquire(args: string[]) {
  return muster(repo.dir, ['lock', 'acquire', ...args, '--json']);
}

describe('muster lock', () => {
  shared();

  it.each([
    ['write vs write on a file', ['src/a.ts'], ['src/a.ts'], 'write'],
    ['read vs write', ['src/a.ts', '--mode', 'read'], ['src/a.ts'], 'write'],
    ['a subtree vs a file in it', ['src/auth/**'], ['src/auth/login.ts', '--mode', 'read'], 'read'],
    ['globs whose languages intersect', ['src/**/*.ts'], ['src/api/*'], 'write'],
  ])('refuses %s with exit 3 and names the holder in --json', async (_name, first, second, mode) => {
    expect((await acquire([...first, '--task', '1'])).code).toBe(0);
    const r = await acquire([...second, '--task', '2']);
    expect(r.code).toBe(3);
    const body = JSON.parse(r.stdout) as Denied;
    expect(body.granted).toBe(false);
    expect(body.conflicts[0]).toMatchObject({ mode, holder: { task: 1 }, heldResource: first[0] });
  });

  it('lets readers share and disjoint globs coexist', async () => {
    expect((await acquire(['docs/**', '--mode', 'read', '--task', '1'])).code).toBe(0);
    expect((await acquire(['docs/**', '--mode', 'read', '--task', '2'])).code).toBe(0);
    expect((await acquire(['src/*.test.ts', '--task', '1'])).code).toBe(0);
    expect((await acquire(['src/*.spec.ts', '--task', '2'])).code).toBe(0);
    const list = await musterJson<{ resource: string; owner: { task: number } }[]>(repo.dir, ['lock', 'list']);
    expect(list).toHaveLength(4);
  });

  it('grants all or nothing', async () => {
    await acquire(['b.txt', '--task', '1']);
    const r = await acquire(['a.txt', 'b.txt', 'c.txt', '--task', '2']);
    expect(r.code).toBe(3);
    const list = await musterJson<{ resource: string }[]>(repo.dir, ['lock', 'list']);
    expect(list.map((l) => l.resource)).toEqual(['b.txt']);
  });

  it('grants a --wait request when the holder releases', async () => {
    await acquire(['shared.txt', '--task', '1']);
    const waiting = muster(repo.dir, ['lock', 'acquire', 'shared.txt', '--task', '2', '--wait', '20', '--json']);
    await waitFor(
      async () => (await musterJson<unknown[]>(repo.dir, ['status'])) && (await muster(repo.dir, ['lock', 'check', 'shared.txt', '--task', '3'])).code === 3,
      { what: 'the lock to be held' },
    );
    expect((await muster(repo.dir, ['lock', 'release', 'shared.txt', '--task', '1'])).code).toBe(0);
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ granted: true, locks: [{ resource: 'shared.txt', owner: { task: 2 } }] });
  });

  it('gives up a --wait request at its deadline with exit 3', async () => {
    await acquire(['shared.txt', '--task', '1']);
    const r = await muster(repo.dir, ['lock', 'acquire', 'shared.txt', '--task', '2', '--wait', '1s', '--json']);
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as Denied).conflicts[0]?.holder).toEqual({ task: 1 });
  });

  it('turns a lock stale after its TTL and lets another owner take it over when the holder has no change there', async () => {
    expect((await acquire(['notes.md', '--task', '1', '--ttl', '1s'])).code).toBe(0);
    await waitFor(async () => (await musterJson<{ state: string }[]>(repo.dir, ['lock', 'list']))[0]?.state === 'stale', {
      what: 'the lock to go stale',
    });
    // Task 1 never started, so its branch holds no change: the stale lock passes on.
    const r = await acquire(['notes.md', '--task', '2']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ granted: true, locks: [{ owner: { task: 2 } }] });
    const events = (await import('node:fs')).readFileSync(`${repo.dir}/.git/muster/events.jsonl`, 'utf8');
    expect(events).toMatch(/"kind":"lock-expired"/);
    expect(events).toMatch(/"kind":"lock-taken-over"/);
  });

  it.each([
    ['a .. escape', '../outside.txt'],
    ['an absolute path outside', '/etc/passwd'],
    ['an empty path', ''],
  ])('refuses %s with exit 2 and locks nothing', async (_name, path) => {
    const r = await muster(repo.dir, ['lock', 'acquire', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeGreaterThan(10);
    expect(await musterJson<unknown[]>(repo.dir, ['lock', 'list'])).toEqual([]);
  });

  it('refuses a NUL byte, which only a script on the socket can send, as bad input', async () => {
    const { connect } = await import('../../../src/client/connect.js');
    const { client } = await connect({ cwd: repo.dir });
    try {
      await expect(client.call('lock.acquire', { resources: ['a\0b'] })).rejects.toMatchObject({ code: 'bad-input', message: expect.stringContaining('NUL') });
    } finally {
      client.close();
    }
  });

  it('check exits 0 for a free path and 3 for a held one', async () => {
    await acquire(['src/**', '--task', '1']);
    expect((await muster(repo.dir, ['lock', 'check', 'docs/x.md', '--task', '2'])).code).toBe(0);
    const held = await muster(repo.dir, ['lock', 'check', 'src/x.ts', '--task', '2', '--json']);
    expect(held.code).toBe(3);
    expect(JSON.parse(held.stdout)).toMatchObject({ free: false, conflicts: [{ holder: { task: 1 } }] });
    expect((await muster(repo.dir, ['lock', 'check', 'src/x.ts', '--task', '1'])).code).toBe(0);
  });
});

// These read the whole audit log, or leave an operator lock behind that no task's release frees.
describe('muster lock, each test on its own supervisor', () => {
  eachFresh();

  it('never lets 10 contending processes hold one write lock at once', async () => {
    const cs = `${repo.root}/critical-section`;
    const script = `for i in 1 2 3; do
  "${process.execPath}" "${BIN}" lock acquire the-resource --wait 150 >/dev/null || exit 1
  mkdir "${cs}" 2>/dev/null || { echo overlap >> "${repo.root}/violations"; }
  sleep 0.05
  rmdir "${cs}" 2>/dev/null
  "${process.execPath}" "${BIN}" lock release the-resource >/dev/null || exit 1
done`;
    const codes = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<number>((resolve) =>
            spawn('bash', ['-c', script], { cwd: repo.dir, env: testEnv(), stdio: 'ignore' }).on('close', (c) => resolve(c ?? -1)),
          ),
      ),
    );
    expect(codes).toEqual(Array(10).fill(0));
    expect(() => repo.git('status')).not.toThrow();
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${repo.root}/violations`)).toBe(false);
    const events = (await import('node:fs')).readFileSync(`${repo.dir}/.git/muster/events.jsonl`, 'utf8');
    expect(events.match(/"kind":"lock-granted"/g)).toHaveLength(30);
  }, 180_000);

  it('lets the operator steal a lock', async () => {
    await acquire(['x.txt', '--task', '1']);
    const r = await muster(repo.dir, ['lock', 'acquire', 'x.txt', '--steal', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).locks[0].owner.pid).toBeGreaterThan(0);
  });
});
