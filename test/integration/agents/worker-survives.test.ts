import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { isAlive, muster, stopDaemon, workerPid } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
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

describe('agents in the terminal worker', () => {
  it('keep running through kill -9 of the supervisor; the restarted supervisor shows their screens and takes their input', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'outlives', prompt: '@print before the crash\n@wait-input\n@print after input\n@wait-input\n@exit 0' });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    await waitFor(async () => (await screenOf(client!, t.id)).includes('waiting for input>'), {
      what: 'the agent to wait',
      describe: () => screenOf(client!, t.id),
    });
    const agentPid = running.sessions[0]!.pid!;
    const daemon = (await client.call('status', {})).daemon.pid;
    const worker = workerPid(repo.dir);
    expect(worker).not.toBeNull();
    client.close();
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), { what: 'the supervisor to die' });
    expect(isAlive(agentPid)).toBe(true);
    // The screen must come from the worker, which kept it, not from a replay of the log.
    rmSync(join(repo.dir, '.git', 'muster', 'tasks', String(t.id), 'terminal.log'));

    client = await clientFor(repo.dir);
    expect((await client.call('status', {})).daemon.pid).not.toBe(daemon);
    const after = await client.call('task.show', { id: t.id });
    expect(after.state).toBe('running');
    expect(after.sessions).toHaveLength(1);
    expect(after.sessions[0]).toMatchObject({ pid: agentPid, endedAt: null });
    expect(isAlive(agentPid)).toBe(true);
    expect(workerPid(repo.dir)).toBe(worker);
    // The screen from before the crash, rebuilt by the new supervisor.
    await waitFor(async () => (await screenOf(client!, t.id)).includes('before the crash'), {
      what: 'the old screen',
      describe: () => screenOf(client!, t.id),
    });
    // Its input reaches the same agent, and its output the new supervisor.
    await client.call('term.input', { task: t.id, data: 'hello again\r' });
    await waitFor(async () => (await screenOf(client!, t.id)).includes('got: hello again'), {
      what: 'the agent to answer',
      describe: () => screenOf(client!, t.id),
    });
    await waitFor(async () => (await screenOf(client!, t.id)).includes('after input'), { what: 'the agent to go on', describe: () => screenOf(client!, t.id) });
    // Its exit is the new supervisor's to record.
    await client.call('term.input', { task: t.id, data: 'done\r' });
    const done = await waitForTask(client, t.id, inState('review'), 'in review');
    expect(done.sessions[0]).toMatchObject({ pid: agentPid, exitCode: 0 });
  });

  it("answers an agent's terminal query exactly once, before and after kill -9 of the supervisor, and keeps the agent's size", async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'asks', prompt: '@cpr' });
    await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    const screen = () => screenOf(client!, t.id);
    await waitFor(async () => (await screen()).includes('cpr replies: 1'), { what: 'the answer to the query', describe: screen });
    // The latest attach sizes the agent's terminal.
    expect(await client.call('term.attach', { task: t.id, cols: 100, rows: 30, color: false })).toMatchObject({ cols: 100, rows: 30 });
    await client.call('term.detach', { task: t.id });
    await client.call('term.input', { task: t.id, data: '!' });
    await waitFor(async () => (await screen()).includes('check 1: 1 replies'), { what: 'the first check', describe: screen });
    const daemon = (await client.call('status', {})).daemon.pid;
    client.close();
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), { what: 'the supervisor to die' });
    rmSync(join(repo.dir, '.git', 'muster', 'tasks', String(t.id), 'terminal.log'));

    client = await clientFor(repo.dir);
    expect((await client.call('task.show', { id: t.id })).state).toBe('running');
    // The restarted supervisor shows it at the size it has, not its own default.
    expect(await client.call('term.attach', { task: t.id, color: false })).toMatchObject({ cols: 100, rows: 30 });
    await client.call('term.detach', { task: t.id });
    // Nothing answered the old query again, and a new one is answered once.
    await client.call('term.input', { task: t.id, data: '!' });
    await waitFor(async () => (await screen()).includes('check 2: 1 replies'), { what: 'the check after the restart', describe: screen });
    await client.call('term.input', { task: t.id, data: '?' });
    await waitFor(async () => (await screen()).includes('cpr replies: 2'), { what: 'the answer to the new query', describe: screen });
    await client.call('term.input', { task: t.id, data: '!' });
    await waitFor(async () => (await screen()).includes('check 3: 2 replies'), { what: 'the last check', describe: screen });
    expect(await screen()).not.toMatch(/cpr replies: [3-9]/);
    await client.call('term.input', { task: t.id, data: 'q' });
    await waitForTask(client, t.id, inState('review'), 'in review');
  });

  it('a dead worker means the agents are gone: the restarted supervisor leaves their tasks stalled', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'goes with it', prompt: '@wait-input' });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    const agentPid = running.sessions[0]!.pid!;
    const daemon = (await client.call('status', {})).daemon.pid;
    const worker = workerPid(repo.dir)!;
    client.close();
    process.kill(daemon, 'SIGKILL');
    process.kill(worker, 'SIGKILL');
    await waitFor(() => !isAlive(daemon) && !isAlive(worker), { what: 'the supervisor and its worker to die' });
    client = await clientFor(repo.dir);
    const stalled = await client.call('task.show', { id: t.id });
    expect(stalled.state).toBe('stalled');
    expect(stalled.reason).toMatch(/died with the previous supervisor/);
    await waitFor(() => !isAlive(agentPid), { what: 'the agent to be gone' });
  });

  it('runs in a 0600 socket of its own, and muster stop ends the agents and then the worker', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'stops', prompt: '@wait-input' });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    const socket = join(repo.dir, '.git', 'muster', 'worker.sock');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const worker = workerPid(repo.dir)!;
    client.close();
    client = null;
    expect((await muster(repo.dir, ['stop'])).code).toBe(0);
    expect(isAlive(running.sessions[0]!.pid!)).toBe(false);
    await waitFor(() => !isAlive(worker) && !existsSync(socket), { what: 'the worker to exit and remove its socket' });
  });
});
