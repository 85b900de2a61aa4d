import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { muster, stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { clientFor, inState, screenOf, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
const servers: Server[] = [];
afterEach(async () => {
  client?.close();
  client = null;
  for (const s of servers.splice(0)) s.close();
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

function readEnv(file: string): Record<string, string> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('dispatch', () => {
  it('runs three tasks at once, each in its own worktree outside the checkout, on its own branch and port slot, with the documented environment', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const ids: number[] = [];
    for (const name of ['alpha', 'beta', 'gamma']) {
      const t = await client.call('task.add', { title: `Task ${name}`, prompt: `@env ${join(repo.root, `${name}.json`)}\n@wait-input\n@exit 0` });
      ids.push(t.id);
    }
    for (const id of ids) await waitForTask(client, id, (t) => t.state === 'running' && t.sessions[0]?.pid != null, 'running');
    const status = await client.call('status', {});
    expect(status.workers.running).toBe(3);
    const tasks = await Promise.all(ids.map((id) => client!.call('task.show', { id })));
    expect(new Set(tasks.map((t) => t.worktree)).size).toBe(3);
    expect(new Set(tasks.map((t) => t.branch)).size).toBe(3);
    expect(new Set(tasks.map((t) => t.ports?.slot)).size).toBe(3);
    for (const [i, name] of ['alpha', 'beta', 'gamma'].entries()) {
      const t = tasks[i]!;
      expect(t.branch).toBe(`muster/${t.id}-task-${name}`);
      expect(t.worktree).toBe(join(repo.root, 'repo.worktrees', `task-${t.id}`));
      expect(t.worktree!.startsWith(repo.dir + '/')).toBe(false);
      const envFile = join(repo.root, `${name}.json`);
      await waitFor(() => existsSync(envFile), { what: `${name} to write its environment` });
      const env = readEnv(envFile);
      expect(env).toMatchObject({
        MUSTER_TASK_ID: String(t.id),
        MUSTER_ROOT: repo.dir,
        MUSTER_CONTEXT: join(repo.dir, '.git', 'muster', 'shared-context.md'),
        MUSTER_PROMPT_FILE: join(repo.dir, '.git', 'muster', 'tasks', String(t.id), 'PROMPT.md'),
        PORT: String(t.ports!.base),
        MUSTER_PORT_BASE: String(t.ports!.base),
        MUSTER_PORTS: `${t.ports!.base}-${t.ports!.last}`,
        MUSTER_PORT_DEV_SERVER: String(t.ports!.base),
        MUSTER_PORT_TEST_RUNNER: String(t.ports!.base + 1),
        cwd: t.worktree,
      });
      expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('main');
    }
    for (const id of ids) await client.call('term.input', { task: id, data: 'go\r' });
    for (const id of ids) await waitForTask(client, id, inState('review'), 'in review after exit 0');
  });

  it('marks a failing agent failed, and a retry reuses the same worktree and branch', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', {
      title: 'flaky',
      prompt: '@on-run 1 write notes.txt first run\n@on-run 1 commit notes\n@on-run 1 exit 3\n@print second run ok',
    });
    const failed = await waitForTask(client, t.id, inState('failed'), 'failed');
    expect(failed.reason).toBe('agent exited with code 3');
    const worktree = failed.worktree!;
    const retried = await muster(repo.dir, ['task', 'retry', String(t.id)]);
    expect(retried.code).toBe(0);
    const done = await waitForTask(client, t.id, inState('review'), 'in review after the retry');
    expect(done.worktree).toBe(worktree);
    expect(done.sessions.map((s) => s.exitCode)).toEqual([3, 0]);
    expect(await screenOf(client, t.id)).toContain('fake-agent ready #1 run 2');
    expect(repo.git('log', '--format=%s', done.branch!).split('\n')).toContain('notes');
  });

  it('keeps a task that depends on an unmerged one in the backlog, with the reason', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const first = await client.call('task.add', { title: 'first', prompt: '@exit 0' });
    const second = await client.call('task.add', { title: 'second', prompt: '@exit 0', after: [first.id] });
    await waitForTask(client, first.id, inState('review'), 'in review');
    const s = await client.call('task.show', { id: second.id });
    expect(s).toMatchObject({ state: 'backlog', reason: 'waits for #1', sessions: [] });
  });

  it('gives 8 tasks dispatched at once 8 different port slots and skips a slot with a foreign listener', async () => {
    const portBase = 41000 + Math.floor(Math.random() * 200) * 50;
    repo = createAgentRepo({ portBase, maxWorkers: 8 });
    // Something else listens inside slot 0 (ports portBase..portBase+4).
    const foreign = createServer();
    servers.push(foreign);
    await new Promise<void>((r) => foreign.listen(portBase + 2, r));
    client = await clientFor(repo.dir);
    await client.call('dispatch.pause', {});
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) ids.push((await client.call('task.add', { title: `t${i}`, prompt: '@listen PORT\n@stay' })).id);
    await client.call('dispatch.resume', {});
    const tasks = await Promise.all(ids.map((id) => waitForTask(client!, id, (t) => t.state === 'running' && !!t.ports, 'running with ports')));
    const slots = tasks.map((t) => t.ports!.slot);
    expect(new Set(slots).size).toBe(8);
    expect(slots).not.toContain(0);
    for (const t of tasks) {
      expect(t.ports!.base).toBeGreaterThanOrEqual(portBase);
      expect(t.ports!.last).toBeLessThan(portBase + 12 * 5);
      expect(portBase + 2 < t.ports!.base || portBase + 2 > t.ports!.last).toBe(true);
    }
    const audit = readFileSync(join(repo.dir, '.git', 'muster', 'events.jsonl'), 'utf8');
    expect(audit).toMatch(/"kind":"port-slot-skipped","details":\{"task":\d+,"slot":0,"busy":\[\d+\]/);
  });

  it('fails a task whose agent command is not on PATH, naming the command and the preset', async () => {
    repo = createAgentRepo({ extra: 'agents_extra: 1'.replace('agents_extra: 1', '') });
    repo.write(
      '.muster/config.yaml',
      `${readFileSync(join(repo.dir, '.muster/config.yaml'), 'utf8').replace('agents:\n', 'agents:\n  ghost: { command: no-such-agent-xyz }\n')}`,
    );
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'ghost', agent: 'ghost' });
    const failed = await waitForTask(client, t.id, inState('failed'), 'failed');
    expect(failed.reason).toBe('agent command "no-such-agent-xyz" (preset "ghost") is not on PATH; install it or change the preset in .muster/config.yaml.');
  });

  it('applies a changed config at once: a raised max_workers starts waiting tasks; a broken one is reported and the last good one stays', async () => {
    repo = createAgentRepo({ maxWorkers: 1 });
    client = await clientFor(repo.dir);
    const ids: number[] = [];
    for (const n of ['a', 'b', 'c']) ids.push((await client.call('task.add', { title: n, prompt: '@stay', risk: 'low' })).id);
    await waitForTask(client, ids[0]!, (t) => t.state === 'running', 'running');
    expect((await client.call('task.show', { id: ids[2]! })).reason).toBe('waits for a worker');
    const file = join(repo.dir, '.muster/config.yaml');
    const cfg = readFileSync(file, 'utf8');
    repo.write('.muster/config.yaml', cfg.replace('max_workers: 1', 'max_workers: four'));
    await waitFor(async () => (await client!.call('status', {})).configError?.includes('parallel.max_workers: expected a positive integer, received "four"'), {
      what: 'the config error to be reported',
    });
    expect((await client.call('status', {})).workers.max).toBe(1);
    repo.write('.muster/config.yaml', cfg.replace('max_workers: 1', 'max_workers: 3'));
    for (const id of ids) await waitForTask(client, id, (t) => t.state === 'running', 'running after the config change');
    expect((await client.call('status', {})).configError).toBeNull();
  });
});
