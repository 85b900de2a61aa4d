import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessExit } from '../../../src/adapters/pty/task-terminal.js';
import { TerminalWorker } from '../../../src/adapters/worker/terminal-worker.js';
import { WorkerClient } from '../../../src/adapters/worker/worker-client.js';
import { musterPaths } from '../../../src/paths/muster-paths.js';
import { locateRepo } from '../../../src/paths/repo.js';
import { BIN, isAlive, stopDaemon, workerPid } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

// The supervisor's side of the terminal worker against a real `muster worker` from the built CLI.
let repo: TempRepo | null = null;
let worker: TerminalWorker | null = null;
afterEach(async () => {
  worker?.detach();
  worker = null;
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

function workerOpts(dir: string): ConstructorParameters<typeof TerminalWorker>[0] {
  const paths = musterPaths(locateRepo(dir));
  return { socketPath: paths.workerSocketPath, logFile: paths.workerLog, bin: BIN, cwd: dir };
}

function terminalWorker(dir: string): TerminalWorker {
  return new TerminalWorker(workerOpts(dir));
}

function env(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('MUSTER_')));
}

/** A program that prints, then waits for `go` to exist, then exits 3. */
function program(dir: string): { argv: string[]; go: string } {
  const go = join(dir, '.git', 'go');
  return { argv: ['sh', '-c', `echo started; while [ ! -e ${go} ]; do sleep 0.05; done; exit 3`], go };
}

describe('the connection to the terminal worker', () => {
  it('survives a listener that throws: the program ends with its own exit, not a hangup', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    let seen = '';
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, (data) => {
      seen += data;
      throw new Error('a receiver that fails');
    });
    host.listen?.(true);
    const p = program(repo.dir);
    const proc = await host.run(p.argv, { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    let exit: ProcessExit | null = null;
    void proc.exited.then((e) => (exit = e));
    await waitFor(() => seen.includes('started'), { what: 'the output', describe: () => `${seen} exit=${JSON.stringify(exit)}` });
    expect(isAlive(proc.pid)).toBe(true);
    repo.write('.git/go', '');
    expect(await proc.exited).toEqual({ exitCode: 3, signal: null });
  });

  it('emulates the screen itself: no output crosses unless something listens; the summary, a view and the history show it', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    let seen = '';
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, (data) => (seen += data));
    const screen = host.screen!;
    const p = program(repo.dir);
    const proc = await host.run(['sh', '-c', `printf 'one\\ntwo\\n'; echo started; while [ ! -e ${p.go} ]; do sleep 0.05; done; echo late; exit 3`], {
      cwd: repo.dir,
      env: env(),
      cols: 80,
      rows: 24,
      outlives: true,
    });
    await waitFor(() => screen.tail().includes('started'), { what: 'the summary of the screen', describe: () => JSON.stringify(screen.tail()) });
    expect(screen.tail()).toEqual(['one', 'two', 'started']);
    expect(screen.lastOutputAt).toBeGreaterThan(0);
    expect(seen).toBe('');
    const rows = new Map<number, string>();
    const view = await screen.view({ width: 80, height: 24, color: false, cursor: false, screen: false }, (f) => {
      for (const [y, text] of f.rows) rows.set(y, text);
    });
    await waitFor(() => rows.get(2)?.includes('started') ?? false, { what: 'a frame of the screen', describe: () => JSON.stringify([...rows]) });
    expect(rows.get(0)).toContain('one');
    view.close();
    host.listen!(true);
    // Asked after the listen on the same connection: answered once the worker has it.
    await screen.settle();
    repo.write('.git/go', '');
    expect(await proc.exited).toEqual({ exitCode: 3, signal: null });
    await waitFor(() => seen.includes('late'), { what: 'the raw output once listened to', describe: () => JSON.stringify(seen) });
    expect(seen).not.toContain('started');
    const history = await screen.history(false);
    expect(history.own.filter((l) => l)).toEqual(['one', 'two', 'started', 'late']);
  });

  it('shows characters split between reads whole: on the screen, in the log and to a listener; the terminal edits its input as UTF-8', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    let seen = '';
    const logFile = join(repo.dir, '.git', 't1.log');
    const host = worker.host(1, { file: logFile, maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, (data) => (seen += data));
    host.listen?.(true);
    await host.screen!.settle();
    const text = 'price 5€, party 🎉, café ✓';
    // Byte by byte with a pause between, so that the PTY's reads end inside the characters; then the terminal's input mode.
    const script = [
      `const bytes = Buffer.from(${JSON.stringify(text + '\n')});`,
      "const mode = require('node:child_process').execSync('stty -a', { stdio: ['inherit', 'pipe', 'inherit'] }).toString();",
      'let i = 0;',
      "const next = () => i < bytes.length ? process.stdout.write(bytes.subarray(i, ++i), () => setTimeout(next, 15)) : console.log(/(^|\\s)iutf8/.test(mode) ? 'input utf8' : 'input bytes');",
      'next();',
    ].join('\n');
    const proc = await host.run([process.execPath, '-e', script], { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: false });
    expect(await proc.exited).toEqual({ exitCode: 0, signal: null });
    const expected = `${text}\r\ninput utf8\r\n`;
    await waitFor(() => seen.includes('input '), { what: 'the whole output at the listener', describe: () => JSON.stringify(seen) });
    expect(seen).toBe(expected);
    const history = await host.screen!.history(false);
    expect(history.own.filter((l) => l)).toEqual([text, 'input utf8']);
    await waitFor(() => host.screen!.tail().includes('input utf8'), { what: 'the summary of the screen', describe: () => JSON.stringify(host.screen!.tail()) });
    expect(host.screen!.tail()).toEqual([text, 'input utf8']);
    await host.drain();
    expect(readFileSync(logFile)).toEqual(Buffer.from(expected));
  });

  it('reconnects when only the connection broke: the agent runs on and its real exit arrives', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    let seen = '';
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, (data) => (seen += data));
    host.listen?.(true);
    const p = program(repo.dir);
    const proc = await host.run(p.argv, { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    await waitFor(() => seen.includes('started'), { what: 'the output', describe: () => seen });
    const pid = worker.pid;
    const old = (worker as unknown as { client: WorkerClient }).client;
    old.close();
    let exit: ProcessExit | null = null;
    void proc.exited.then((e) => (exit = e));
    await waitFor(() => ![null, old].includes((worker as unknown as { client: WorkerClient | null }).client), {
      what: 'the connection to come back',
      describe: () => `exit=${JSON.stringify(exit)}`,
    });
    expect(exit).toBeNull();
    expect(worker.pid).toBe(pid);
    repo.write('.git/go', '');
    expect(await proc.exited).toEqual({ exitCode: 3, signal: null });
  });

  it('after shutdown starts no worker again: a late resize or run does not bring one back', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
    const proc = await host.run(['sh', '-c', 'exit 0'], { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: false });
    await proc.exited;
    const first = workerPid(repo.dir)!;
    expect(first).toBe(worker.pid);
    await worker.shutdown();
    host.resize(100, 30);
    await waitFor(() => !isAlive(first), { what: 'the old worker to exit' });
    // Before the fix, this started a fresh detached worker that lingered after `muster stop`.
    host.resize(120, 40);
    await expect(host.run(['true'], { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: false })).rejects.toThrow(/let go/);
    expect(workerPid(repo.dir)).toBe(first);
    expect(existsSync(musterPaths(locateRepo(repo.dir)).workerSocketPath)).toBe(false);
  });

  it('stops a worker that was still starting when the supervisor stopped, instead of leaving it running idle', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
    // A launch notes its start in the terminal, which starts a worker; the launch may fail at once (agent not on PATH).
    host.output('session 1: claude\r\n');
    await worker.shutdown();
    const started = await waitFor(() => workerPid(repo!.dir), { what: 'the worker the note started' });
    // Before the fix it idled on for a minute after the supervisor had gone, writing its files into the repository.
    await waitFor(() => !isAlive(started), { what: 'that worker to exit' });
    expect(existsSync(musterPaths(locateRepo(repo.dir)).workerSocketPath)).toBe(false);
  });

  it('refuses a second program in a terminal whose program still runs, as when two repositories on one host share a task number', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    const first = worker.host(3, { file: join(repo.dir, '.git', 'one.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
    const p = program(repo.dir);
    const running = await first.run(p.argv, { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    // Another repository's task #3 on the same worker: its open is refused (it names the other log), and so must its run be.
    const other = new TerminalWorker(workerOpts(repo.dir));
    const second = other.host(3, { file: join(repo.dir, '.git', 'two.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
    try {
      await expect(second.run(['sh', '-c', 'echo intruder; sleep 100'], { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true })).rejects.toThrow(
        `task #3's terminal on this worker still runs pid ${running.pid} (its log is ${join(repo.dir, '.git', 'one.log')}); if that is another repository's task, give this repository its own dir under hosts:`,
      );
    } finally {
      other.detach();
    }
    expect(isAlive(running.pid)).toBe(true);
    repo.write('.git/go', '');
    expect(await running.exited).toEqual({ exitCode: 3, signal: null });
    expect(readFileSync(join(repo.dir, '.git', 'one.log'), 'utf8')).not.toContain('intruder');
  });

  it('gives up on a worker that does not answer (stopped): start fails with a clear error instead of hanging', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
    await host.run(['sh', '-c', 'sleep 100'], { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    const pid = worker.pid;
    worker.detach();
    process.kill(pid, 'SIGSTOP');
    try {
      await expect(terminalWorker(repo.dir).start()).rejects.toThrow(/did not answer/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 20_000);

  it('survives a fault in one terminal: that view and summary close, the agent and every other terminal go on', async () => {
    repo = createTempRepo();
    // The worker started below throws in every frame and every summary of task 1.
    const before = process.env.MUSTER_TEST_WORKER_FAULT;
    process.env.MUSTER_TEST_WORKER_FAULT = 'view:1,summary:1';
    worker = terminalWorker(repo.dir);
    const log = (task: number) => ({ file: join(repo!.dir, '.git', `t${task}.log`), maxBytes: 1 << 20, keep: 1 });
    let raw1 = '';
    const host1 = worker.host(1, log(1), { cols: 80, rows: 24 }, 100, (data) => (raw1 += data));
    const host2 = worker.host(2, log(2), { cols: 80, rows: 24 }, 100, () => undefined);
    const echo = ['sh', '-c', 'echo ready; while read l; do echo "got $l"; done'];
    let proc1;
    try {
      proc1 = await host1.run(echo, { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    } finally {
      if (before === undefined) delete process.env.MUSTER_TEST_WORKER_FAULT;
      else process.env.MUSTER_TEST_WORKER_FAULT = before;
    }
    const proc2 = await host2.run(echo, { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    const ended: string[] = [];
    void proc1.exited.then((e) => ended.push(`1: ${JSON.stringify(e)}`));
    void proc2.exited.then((e) => ended.push(`2: ${JSON.stringify(e)}`));
    const workerLog = () =>
      existsSync(musterPaths(locateRepo(repo!.dir)).workerLog) ? readFileSync(musterPaths(locateRepo(repo!.dir)).workerLog, 'utf8') : '';
    const rows1 = new Map<number, string>();
    await host1.screen!.view({ width: 80, height: 24, color: false, cursor: false, screen: false }, (f) => {
      for (const [y, text] of f.rows) rows1.set(y, text);
    });
    const rows2 = new Map<number, string>();
    await host2.screen!.view({ width: 80, height: 24, color: false, cursor: false, screen: false }, (f) => {
      for (const [y, text] of f.rows) rows2.set(y, text);
    });
    await waitFor(() => workerLog().includes('a view of task #1 failed'), {
      what: "the fault in task 1's view, logged",
      describe: () => `${workerLog()}\nended: ${ended}`,
    });
    // Task 1's input still reaches it (its raw output says so), task 2's view and summary still follow its screen.
    host1.listen!(true);
    await host1.screen!.settle();
    host1.write('one\r');
    host2.write('two\r');
    const state = () =>
      `raw1=${JSON.stringify(raw1)} rows2=${JSON.stringify([...rows2])} tail2=${JSON.stringify(host2.screen!.tail())} ended=${ended}\n${workerLog()}`;
    await waitFor(() => raw1.includes('got one'), { what: 'task 1 to answer its input', describe: state });
    await waitFor(() => [...rows2.values()].some((r) => r.includes('got two')), { what: "task 2's view to show its answer", describe: state });
    await waitFor(() => host2.screen!.tail().includes('got two'), { what: "task 2's summary", describe: state });
    expect(workerLog()).toContain('the screen summary of task #1 failed');
    expect(ended).toEqual([]);
    expect(isAlive(proc1.pid) && isAlive(proc2.pid) && isAlive(worker.pid)).toBe(true);
    expect([...rows1.values()].join('')).not.toContain('got one');
  });

  it('asks nothing of a worker that is not there: settle and history answer at once and start none', async () => {
    repo = createTempRepo();
    worker = terminalWorker(repo.dir);
    const socketPath = musterPaths(locateRepo(repo.dir)).workerSocketPath;
    const host = worker.host(1, { file: join(repo.dir, '.git', 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
    await host.screen!.settle();
    expect(await host.screen!.history(false)).toEqual({ width: 80, recent: [], own: [] });
    expect(workerPid(repo.dir)).toBeNull();
    // And once the worker that ran its program died: the exit's settle starts no new one.
    const proc = await host.run(['sh', '-c', 'echo started; sleep 100'], { cwd: repo.dir, env: env(), cols: 80, rows: 24, outlives: true });
    const first = worker.pid;
    process.kill(first, 'SIGKILL');
    expect(await proc.exited).toEqual({ exitCode: 1, signal: 1 });
    await host.screen!.settle();
    expect(await host.screen!.history(false)).toEqual({ width: 80, recent: [], own: [] });
    await expect(WorkerClient.open(socketPath)).rejects.toThrow();
    expect(workerPid(repo.dir)).toBe(first);
  });
});
