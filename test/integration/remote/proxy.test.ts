import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, daemonPid, muster, musterJson, stopDaemon, testEnv } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

/** `muster proxy` as ssh runs it: our pipes are its stdin and stdout. */
class Proxy {
  readonly lines: Record<string, unknown>[] = [];
  stdout = '';
  stderr = '';
  code: number | null = null;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(cwd: string, args: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, 'proxy', ...args], { cwd, env: testEnv(env) });
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      const parts = this.stdout.split('\n');
      this.stdout = parts.pop()!;
      for (const p of parts) if (p.trim()) this.lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.child.on('exit', (code) => (this.code = code));
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  request(id: number, method: string, params: unknown, caller?: unknown): void {
    this.send(JSON.stringify({ t: 'req', id, method, params, ...(caller ? { caller } : {}) }));
  }

  reply(id: number): Promise<Record<string, unknown>> {
    return waitFor(() => this.lines.find((l) => l.t === 'res' && l.id === id), {
      what: `the reply to request ${id}`,
      describe: () => `${JSON.stringify(this.lines)}\nstderr: ${this.stderr}`,
    });
  }

  end(): void {
    this.child.stdin.end();
  }

  exited(): Promise<number> {
    return waitFor(() => (this.code === null ? null : { code: this.code }), { what: 'muster proxy to exit', describe: () => this.stderr }).then((r) => r.code);
  }

  kill(): void {
    if (this.code === null) this.child.kill('SIGKILL');
  }
}

let repo: TempRepo;
const proxies: Proxy[] = [];
const proxy = (...a: ConstructorParameters<typeof Proxy>) => {
  const p = new Proxy(...a);
  proxies.push(p);
  return p;
};
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(async () => {
  for (const p of proxies.splice(0)) p.kill();
  await stopDaemon(repo.dir);
  repo.cleanup();
});

describe('muster proxy', () => {
  it('starts the supervisor when none runs and carries requests, replies and events', async () => {
    expect(daemonPid(repo.dir)).toBeNull();
    const p = proxy(repo.dir);
    p.request(1, 'ping', {});
    const pong = await p.reply(1);
    expect(pong).toMatchObject({ ok: true, result: { pid: daemonPid(repo.dir) } });
    p.request(2, 'subscribe', { topics: ['task'] });
    await p.reply(2);
    await muster(repo.dir, ['pause']);
    await musterJson(repo.dir, ['task', 'add', 'seen through the proxy']);
    await waitFor(() => p.lines.find((l) => l.t === 'evt' && l.topic === 'task' && (l.data as { title?: string }).title === 'seen through the proxy'), {
      what: 'the task event',
    });
    p.end();
    expect(await p.exited()).toBe(0);
  });

  it('speaks for the operator at the repository root, whatever caller the far side claims', async () => {
    await muster(repo.dir, ['pause']);
    await musterJson(repo.dir, ['task', 'add', 'a task', '--risk', 'low']);
    const p = proxy(repo.dir);
    const claimed = { cwd: join(repo.dir, 'deep', 'dir'), worktreeRoot: repo.dir, envTaskId: 1, pid: 4242, ppid: 4242, ownerPid: 4242 };
    p.request(1, 'lock.acquire', { resources: ['src/x.ts'] }, claimed);
    expect(await p.reply(1)).toMatchObject({ ok: true, result: { granted: true, locks: [{ resource: 'src/x.ts', owner: { pid: 0 } }] } });
    // Operator-only: a task may not approve or undo; through the proxy it is the operator, so
    // undo gets as far as finding nothing to undo.
    p.request(2, 'merge.undo', {}, claimed);
    expect(await p.reply(2)).toEqual({
      t: 'res',
      id: 2,
      ok: false,
      error: { code: 'invalid-state', message: 'Nothing to undo: muster has no landing on main that is not undone already.' },
    });
  });

  it('answers a malformed line with an error and keeps the link', async () => {
    const p = proxy(repo.dir);
    p.send('this is not json');
    await waitFor(() => p.lines.find((l) => l.t === 'res' && l.ok === false), { what: 'the error reply' });
    p.request(7, 'ping', {});
    expect(await p.reply(7)).toMatchObject({ ok: true });
  });

  it('with --no-start, exits 69 and says so when no supervisor runs, starting none', async () => {
    const p = proxy(repo.dir, ['--no-start']);
    expect(await p.exited()).toBe(69);
    expect(p.stderr).toContain(`No muster supervisor is running for ${repo.dir}`);
    expect(p.lines).toEqual([]);
    expect(daemonPid(repo.dir)).toBeNull();
  });

  it('finds the repository from --cwd, with ~ as the home directory', async () => {
    const home = dirname(repo.dir);
    mkdirSync(join(repo.dir, 'sub'));
    const p = proxy('/', ['--cwd', `~/${basename(repo.dir)}/sub`], { HOME: home });
    p.request(1, 'status', {});
    expect(await p.reply(1)).toMatchObject({ ok: true, result: { repo: repo.dir } });
  });

  it('exits when the supervisor goes away', async () => {
    const p = proxy(repo.dir);
    p.request(1, 'ping', {});
    await p.reply(1);
    await muster(repo.dir, ['stop']);
    expect(await p.exited()).toBe(0);
  });
});
