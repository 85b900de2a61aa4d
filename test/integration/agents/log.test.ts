import { spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { parseTopicEvent } from '../../../src/protocol/topics.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { BIN, muster, stopDaemon, testEnv } from '../../helpers/cli.js';
import { clientFor, inState, screenOf, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

/**
 * What `muster log <id>` prints, through the same request over this process's connection: the
 * waits poll with it (a poll through the CLI started a node process each time, back to back
 * while a flood was logged), and the CLI itself gives what the tests then check. The log only
 * grows, so what this saw the CLI sees too.
 */
async function logOf(c: MusterClient, id: number, cols?: number): Promise<string> {
  let out = '';
  const off = c.onEvent((e) => {
    const ev = parseTopicEvent(e);
    if (ev?.topic === 'log' && ev.data.task === id && !('end' in ev.data)) out += `${ev.data.lines.join('\n')}\n`;
  });
  try {
    await c.call('term.log', { task: id, cols });
    return out;
  } finally {
    off();
  }
}

describe('muster log', () => {
  // The tests of a plain config read a task of their own each, so they share a supervisor: a
  // start and a stop per test (with its terminal worker) is CPU that the loaded suite is short of.
  let plain: Promise<{ repo: TempRepo; client: MusterClient }> | null = null;
  const plainSupervisor = () =>
    (plain ??= (async () => {
      const r = createAgentRepo();
      return { repo: r, client: await clientFor(r.dir) };
    })());
  afterAll(async () => {
    if (!plain) return;
    const { repo: r, client: c } = await plain;
    c.close();
    await stopDaemon(r.dir);
    r.cleanup();
  });

  it("prints the task's terminal output as the text a person read: no escape sequences, progress lines as they ended", async () => {
    const { repo: home, client: c } = await plainSupervisor();
    const t = await c.call('task.add', { title: 'talker', prompt: '@print first line\n@color painted\n@progress build\n@print last line\n@stay' });
    await waitForTask(c, t.id, (x) => x.state === 'running' && x.sessions.length > 0, 'running');
    let seen = '';
    await waitFor(async () => (seen = await logOf(c, t.id)).includes('last line'), {
      what: 'the last line in the log',
      describe: () => seen,
    });
    const r = await muster(home.dir, ['log', String(t.id)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b/);
    const lines = r.stdout.split('\n');
    const at = (text: string) => lines.findIndex((l) => l === text);
    expect(at('first line')).toBeGreaterThan(-1);
    expect(at('red bold-green blue-bg painted')).toBeGreaterThan(at('first line'));
    expect(at('build 100%')).toBeGreaterThan(at('red bold-green blue-bg painted'));
    expect(at('last line')).toBeGreaterThan(at('build 100%'));
    expect(r.stdout).not.toContain('build 10%');
  });

  it('reads the rotated logs too, oldest first, every line once', async () => {
    repo = createAgentRepo({ terminal: { log_max_bytes: 16_384, log_keep: 100 } });
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'flood', prompt: '@flood 3000\n@print flood done\n@stay' });
    await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions.length > 0, 'running');
    let seen = '';
    await waitFor(async () => (seen = await logOf(client!, t.id, 100)).includes('flood done'), {
      timeout: 30_000,
      what: 'the whole flood in the log',
      describe: () => seen.slice(-500),
    });
    const r = await muster(repo.dir, ['log', String(t.id), '--width', '100']);
    expect(r.code, r.stderr).toBe(0);
    const flood = r.stdout.split('\n').filter((l) => l.startsWith('line '));
    expect(flood).toEqual(Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(60)}`));
  });

  it('follows the output until the agent exits, then prints its last screen and ends', async () => {
    const { repo: home, client: c } = await plainSupervisor();
    const t = await c.call('task.add', { title: 'slow', prompt: '@print before following\n@wait-input\n@flood 60\n@print the end' });
    await waitForTask(c, t.id, (x) => x.state === 'running' && x.sessions.length > 0, 'running');
    await waitFor(async () => (await logOf(c, t.id)).includes('waiting for input>'), { what: 'the agent to wait' });
    const child = spawn(process.execPath, [BIN, 'log', String(t.id), '--follow'], { cwd: home.dir, env: testEnv() });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    // Lines already on screen are not printed twice: the follower starts after what was logged.
    await c.call('term.input', { task: t.id, data: 'go\r' });
    expect(await exited).toBe(0);
    await waitForTask(c, t.id, inState('review'), 'in review');
    const lines = out.split('\n');
    expect(lines.filter((l) => l === 'before following')).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('line '))).toEqual(Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(60)}`));
    expect(lines.filter((l) => l === 'the end')).toHaveLength(1);
  });

  it('refuses a task that never ran, saying why', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    await client.call('dispatch.pause', {});
    const t = await client.call('task.add', { title: 'queued' });
    const r = await muster(repo.dir, ['log', String(t.id)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Task #1 has not started yet (ready: dispatch paused)');
  });
});

describe('the scrollback reader', () => {
  // Each test reads the history of a task of its own, so they share a supervisor: a start and a
  // stop per test (with its terminal worker) is CPU that the loaded suite is short of.
  let shared: Promise<{ repo: TempRepo; client: MusterClient }> | null = null;
  const sharedSupervisor = () =>
    (shared ??= (async () => {
      const r = createAgentRepo({ terminal: { scrollback: 100 } });
      return { repo: r, client: await clientFor(r.dir) };
    })());
  afterAll(async () => {
    if (!shared) return;
    const { repo: r, client: c } = await shared;
    c.close();
    await stopDaemon(r.dir);
    r.cleanup();
  });

  it("gives every line once, in order: the log's older lines, then the emulator's history and screen", async () => {
    const { client: c } = await sharedSupervisor();
    const t = await c.call('task.add', { title: 'flood', prompt: '@flood 500\n@print flood done\n@stay' });
    await waitForTask(c, t.id, (x) => x.state === 'running' && x.sessions.length > 0, 'running');
    await waitFor(async () => (await logOf(c, t.id)).includes('flood done'), { what: 'the flood to end' });
    const h = await c.call('term.history', { task: t.id, color: false });
    expect(h.dropped).toBe(0);
    // The emulator kept only the last 100 lines of history: the rest came from the log.
    expect(h.older.filter((l) => l.startsWith('line ')).length).toBeGreaterThan(300);
    const all = [...h.older, ...h.recent.map((r) => r.trimEnd())];
    expect(all.filter((l) => l.startsWith('line '))).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(60)}`));
    expect(all.filter((l) => l === 'flood done')).toHaveLength(1);
  });

  it('gives every line once, in order, after a flood the emulator parsed only the end of', async () => {
    const { client: c } = await sharedSupervisor();
    const t = await c.call('task.add', { title: 'flood', prompt: '@flood 6000\n@print flood done\n@stay' });
    await waitForTask(c, t.id, (x) => x.state === 'running' && x.sessions.length > 0, 'running');
    await waitFor(async () => (await logOf(c, t.id)).includes('flood done'), { what: 'the flood to end' });
    const h = await c.call('term.history', { task: t.id, color: false });
    const all = [...h.older, ...h.recent.map((r) => r.trimEnd())];
    expect(all.filter((l) => l.startsWith('line '))).toEqual(Array.from({ length: 6000 }, (_, i) => `line ${i} ${'x'.repeat(60)}`));
    expect(all.filter((l) => l === 'flood done')).toHaveLength(1);
    expect(await screenOf(c, t.id)).toContain('flood done');
  });
});

describe('an exited agent after the supervisor restarted', () => {
  it('still shows its last screen, replayed from its log', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'crasher', prompt: '@color fatal\n@print fatal: cannot reach the database\n@exit 3' });
    await waitForTask(client, t.id, inState('failed'), 'failed');
    client.close();
    expect((await muster(repo.dir, ['stop'])).code).toBe(0);
    client = await clientFor(repo.dir);
    const screen = await screenOf(client, t.id);
    expect(screen).toContain('fatal: cannot reach the database');
    expect(screen).toContain('red bold-green blue-bg fatal');
  });
});
