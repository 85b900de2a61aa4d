import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStore } from '../../../src/adapters/store/store-load.js';
import { connect } from '../../../src/client/connect.js';
import { daemonPid, isAlive, muster, musterJson, stopDaemon, testEnv, BIN } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo;
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(async () => {
  await stopDaemon(repo.dir);
  repo.cleanup();
});

interface StatusJson {
  daemon: { pid: number };
  tasks: { id: number; title: string }[];
}

/** What the store on disk holds: its snapshot with its journal replayed, as the next supervisor will read it. */
function storeOnDisk(dir: string): { tasks: { id: number; title: string }[] } {
  const stateDir = join(dir, '.git', 'muster');
  return loadStore({ storeFile: join(stateDir, 'state.json'), eventsFile: join(stateDir, 'events.jsonl') }, () => null).state;
}

/** The `task-added` lines of the audit log: task id -> title, failing on an id logged twice. */
function loggedAdds(dir: string): Map<number, string> {
  const adds = new Map<number, string>();
  for (const line of readFileSync(join(dir, '.git', 'muster', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)) {
    const e = JSON.parse(line) as { kind: string; details: { task: number; title: string } };
    if (e.kind !== 'task-added') continue;
    expect(adds.has(e.details.task), `task ${e.details.task} logged as added twice ("${adds.get(e.details.task)}", "${e.details.title}")`).toBe(false);
    adds.set(e.details.task, e.details.title);
  }
  return adds;
}

describe('the supervisor', () => {
  it('starts on demand, reports its pid in status --json, and owns a 0600 socket', async () => {
    const status = await musterJson<StatusJson>(repo.dir, ['status']);
    expect(status.daemon.pid).toBe(daemonPid(repo.dir));
    expect(isAlive(status.daemon.pid)).toBe(true);
    const sock = join(repo.dir, '.git', 'muster', 'daemon.sock');
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  });

  it('gives 16 concurrent CLI clients x 6 adds 96 tasks with 96 distinct ids', async () => {
    // Only the store is under test: nothing is dispatched. 16 clients at once is the contention;
    // more adds each only multiplied node starts (400 of them took 126 s of a 2-core machine).
    expect((await muster(repo.dir, ['pause'])).code).toBe(0);
    const script = `for i in $(seq 1 6); do "${process.execPath}" "${BIN}" task add "client $1 add $i" --risk low >/dev/null || exit 1; done`;
    const codes = await Promise.all(
      Array.from(
        { length: 16 },
        (_, c) =>
          new Promise<number>((resolve) => {
            const child = spawn('bash', ['-c', script, 'x', String(c)], { cwd: repo.dir, env: testEnv(), stdio: 'ignore' });
            child.on('close', (code) => resolve(code ?? -1));
          }),
      ),
    );
    expect(codes).toEqual(Array(16).fill(0));
    const status = await musterJson<StatusJson>(repo.dir, ['status']);
    expect(status.tasks).toHaveLength(96);
    expect(new Set(status.tasks.map((t) => t.id)).size).toBe(96);
    expect(new Set(status.tasks.map((t) => t.title)).size).toBe(96);
    expect(storeOnDisk(repo.dir).tasks).toHaveLength(96);
  }, 240_000);

  it('keeps every acknowledged add through kill -9 at any moment, five times over, and logs only what it committed', async () => {
    const acked: string[] = [];
    expect((await muster(repo.dir, ['pause'])).code).toBe(0);
    for (let round = 0; round < 5; round++) {
      const { client } = await connect({ cwd: repo.dir });
      const pid = (await client.call('ping', {})).pid;
      let stop = false;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const title = `r${round} w${w} #${i}`;
          try {
            await client.call('task.add', { title, agent: 'shell' });
            acked.push(title);
          } catch {
            return; // the supervisor died under this request: it was never acknowledged
          }
        }
      });
      // Let a few adds land, then kill in the middle of the stream.
      await waitFor(() => acked.filter((t) => t.startsWith(`r${round} `)).length >= 20 + round * 7, { what: 'adds to land' });
      process.kill(pid, 'SIGKILL');
      stop = true;
      await Promise.all(writers);
      client.close();
      await waitFor(() => !isAlive(pid), { what: 'the supervisor to die' });
      const tasks = storeOnDisk(repo.dir).tasks;
      const titles = new Set(tasks.map((t) => t.title));
      expect(acked.filter((t) => !titles.has(t))).toEqual([]);
      // Every add in the audit log was committed, under the id it has in the store.
      const byId = new Map(tasks.map((t) => [t.id, t.title]));
      for (const [id, title] of loggedAdds(repo.dir)) expect(byId.get(id), `the audit log says task ${id} "${title}" was added`).toBe(title);
    }
    // And the next supervisor starts on that store and still has them all.
    const status = await musterJson<StatusJson>(repo.dir, ['status']);
    const titles = new Set(status.tasks.map((t) => t.title));
    expect(acked.every((t) => titles.has(t))).toBe(true);
  }, 120_000);

  it('replaces the socket and lock a killed supervisor left behind', async () => {
    const first = (await musterJson<StatusJson>(repo.dir, ['status'])).daemon.pid;
    process.kill(first, 'SIGKILL');
    await waitFor(() => !isAlive(first), { what: 'the supervisor to die' });
    expect(existsSync(join(repo.dir, '.git', 'muster', 'daemon.sock'))).toBe(true);
    expect(daemonPid(repo.dir)).toBe(first);
    const second = (await musterJson<StatusJson>(repo.dir, ['status'])).daemon.pid;
    expect(second).not.toBe(first);
    expect(daemonPid(repo.dir)).toBe(second);
  });

  it('does not mistake a reused pid for the old supervisor', async () => {
    // The lock names a live process (this test) with another start time: a pid reused after a crash.
    mkdirSync(join(repo.dir, '.git', 'muster'), { recursive: true });
    writeFileSync(join(repo.dir, '.git', 'muster', 'daemon.lock'), JSON.stringify({ pid: process.pid, startTime: '1' }));
    const status = await musterJson<StatusJson>(repo.dir, ['status']);
    expect(status.daemon.pid).not.toBe(process.pid);
  });

  it('refuses a second supervisor for the same repository', async () => {
    const pid = (await musterJson<StatusJson>(repo.dir, ['status'])).daemon.pid;
    const second = await muster(repo.dir, ['daemon']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(`already running for this repository (pid ${pid}). "muster stop" stops it.`);
    expect(isAlive(pid)).toBe(true);
  });

  it('stops cleanly: process gone, socket and lock removed; stop again says nothing runs', async () => {
    const pid = (await musterJson<StatusJson>(repo.dir, ['status'])).daemon.pid;
    const r = await muster(repo.dir, ['stop']);
    expect(r).toMatchObject({ code: 0, stdout: `Stopped the muster supervisor (pid ${pid}).\n` });
    await waitFor(() => !isAlive(pid), { what: 'the supervisor to exit' });
    expect(existsSync(join(repo.dir, '.git', 'muster', 'daemon.sock'))).toBe(false);
    expect(existsSync(join(repo.dir, '.git', 'muster', 'daemon.lock'))).toBe(false);
    expect((await muster(repo.dir, ['stop'])).stdout).toBe('No muster supervisor is running for this repository.\n');
  });

  it('falls back to a short socket path when the repository path is long', async () => {
    const deep = join(repo.root, 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    execFileSync('git', ['init', '-q', '-b', 'main', deep]);
    try {
      const status = await musterJson<{ daemon: { socket: string } }>(deep, ['status']);
      expect(Buffer.byteLength(status.daemon.socket)).toBeLessThan(100);
      expect(status.daemon.socket.startsWith(deep)).toBe(false);
      expect(statSync(status.daemon.socket).mode & 0o777).toBe(0o600);
    } finally {
      await stopDaemon(deep);
    }
  });

  it('acts for the same repository from a subdirectory', async () => {
    repo.write('src/deep/file.txt', 'x');
    await musterJson(join(repo.dir), ['task', 'add', 'from root']);
    const list = await musterJson<{ title: string }[]>(join(repo.dir, 'src', 'deep'), ['task', 'list']);
    expect(list.map((t) => t.title)).toEqual(['from root']);
  });
});

describe('bad input', () => {
  // Refusals of one supervisor's requests: they share it (a start and a stop each were most of
  // their time), and each checks that none of them added anything.
  describe('to a running supervisor', () => {
    let shared: TempRepo;
    beforeAll(() => {
      shared = createTempRepo();
    });
    afterAll(async () => {
      await stopDaemon(shared.dir);
      shared.cleanup();
    });

    it.each([
      ['an empty title', ['task', 'add', ''], /A task needs a title/],
      ['an unknown risk', ['task', 'add', 'x', '--risk', 'extreme'], /Unknown risk "extreme": use low, medium or high/],
      ['an unknown dependency', ['task', 'add', 'x', '--after', '42'], /there is no task #42/],
      ['a dependency cycle', ['task', 'add', 'x', '--after', '1'], /dependency cycle: #1 -> #1/],
      ['a malformed id', ['task', 'show', 'abc'], /a number such as 3 or #3, not "abc"/],
      ['an unknown task', ['task', 'show', '9'], /No task #9/],
      ['an unknown option', ['task', 'add', 'x', '--colour', 'red'], /unknown option '--colour'/],
      ['a move without a direction', ['task', 'move', '1'], /exactly one of --up, --down, --top or --to N/],
    ])('%s exits 2 with a message that says what to fix, and adds nothing', async (_name, args, message) => {
      const r = await muster(shared.dir, args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(shared.dir, '.git', 'muster', 'state.json')) ? storeOnDisk(shared.dir).tasks : []).toEqual([]);
    });

    it('prints the error as JSON too when --json is given', async () => {
      const r = await muster(shared.dir, ['task', 'add', 'x', '--after', '7', '--json']);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'bad-input', message: expect.stringContaining('no task #7') } });
    });
  });

  it.each([
    [
      'a value of the wrong type',
      'parallel:\n  max_workers: four\n',
      '.muster/config.yaml:2 parallel.max_workers: expected a positive integer, received "four"',
    ],
    ['broken YAML', 'merge:\n  target: [main\n', '.muster/config.yaml:'],
  ])('a config with %s stops the supervisor from starting: exit 2, file and line named', async (_name, text, message) => {
    repo.write('.muster/config.yaml', text);
    const r = await muster(repo.dir, ['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(daemonPid(repo.dir)).toBeNull();
  });

  it('watches a config file created after it started: a valid one applies, a broken one is reported with file and line', async () => {
    interface Status {
      workers: { max: number };
      configError: string | null;
    }
    expect((await musterJson<Status>(repo.dir, ['status'])).workers.max).toBe(4);
    repo.write('.muster/config.yaml', 'parallel:\n  max_workers: 7\n');
    await waitFor(async () => (await musterJson<Status>(repo.dir, ['status'])).workers.max === 7, { what: 'the new config to apply' });
    repo.write('.muster/config.yaml', 'parallel:\n  max_workers: seven\n');
    const broken = await waitFor(async () => (await musterJson<Status>(repo.dir, ['status'])).configError, { what: 'the config error to be reported' });
    expect(broken).toBe('.muster/config.yaml:2 parallel.max_workers: expected a positive integer, received "seven"');
    const shown = await muster(repo.dir, ['status']);
    expect(shown.stdout).toContain(`Config      ${broken}`);
  });

  it('refuses commands outside a git repository with exit 2', async () => {
    const outside = join(repo.root, 'plain');
    mkdirSync(outside);
    const r = await muster(outside, ['task', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not inside a git repository/);
  });
});

describe('the queue through the CLI', () => {
  it('moves, assigns, cancels, pauses and resumes', async () => {
    expect((await muster(repo.dir, ['pause'])).code).toBe(0);
    for (const t of ['a', 'b', 'c']) await musterJson(repo.dir, ['task', 'add', t, '--agent', 'shell']);
    const moved = await musterJson<{ id: number }[]>(repo.dir, ['task', 'move', '3', '--top']);
    expect(moved.map((t) => t.id)).toEqual([3, 1, 2]);
    expect((await musterJson<{ agent: string }>(repo.dir, ['task', 'assign', '2', '--agent', 'aider'])).agent).toBe('aider');
    expect((await muster(repo.dir, ['task', 'assign', '2', '--agent', 'nobody'])).code).toBe(2);
    expect((await musterJson<{ state: string }>(repo.dir, ['task', 'cancel', '1'])).state).toBe('cancelled');
    expect((await muster(repo.dir, ['task', 'cancel', '1'])).code).toBe(2);
    const paused = await musterJson<{ paused: boolean; tasks: { id: number; reason: string }[] }>(repo.dir, ['status']);
    expect(paused.paused).toBe(true);
    await waitFor(async () => (await musterJson<{ reason: string }>(repo.dir, ['task', 'show', '3'])).reason === 'dispatch paused', {
      what: 'the paused reason',
    });
    await muster(repo.dir, ['resume']);
    expect((await musterJson<{ paused: boolean }>(repo.dir, ['status'])).paused).toBe(false);
    await muster(repo.dir, ['pause']);
    const events = readFileSync(join(repo.dir, '.git', 'muster', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).kind);
    expect(events).toEqual(expect.arrayContaining(['task-added', 'task-moved', 'task-assigned', 'task-cancelled', 'dispatch-paused', 'dispatch-resumed']));
  });
});
