import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { readJournal } from '../../../src/adapters/store/journal.js';
import { musterPaths } from '../../../src/paths/muster-paths.js';
import { locateRepo } from '../../../src/paths/repo.js';
import { isAlive, muster, musterJson, stopDaemon, workerPid } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { clientFor, inState, screenOf, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

/** Journal records whose only change is some task's activity (and its `updatedAt`). */
function activityOnlyRecords(dir: string): number[] {
  const journal = join(musterPaths(locateRepo(dir)).stateDir, 'journal');
  const seen = new Map<number, { rest: string; activity: string }>();
  const parts = (t: Record<string, unknown>) => ({ rest: JSON.stringify({ ...t, activity: null, updatedAt: null }), activity: JSON.stringify(t.activity) });
  const out: number[] = [];
  for (const r of readJournal(journal, 0).records) {
    const tasks = ((r.tasks ?? []) as unknown as Record<string, unknown>[]).map((t) => ({ id: t.id as number, ...parts(t) }));
    const only = (t: { id: number; rest: string; activity: string }) => seen.get(t.id)?.rest === t.rest && seen.get(t.id)?.activity !== t.activity;
    if (!r.events.length && !r.set && !r.unset && !r.taskIds && tasks.length > 0 && tasks.every(only)) out.push(r.seq);
    for (const t of tasks) seen.set(t.id, t);
  }
  return out;
}

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

describe('task lifecycle', () => {
  it('after kill -9 of the supervisor and its terminal worker (the machine went down), running tasks come back stalled with worktree and commits intact, and restart', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', {
      title: 'survivor',
      prompt: '@on-run 1 write work.txt precious\n@on-run 1 commit precious work\n@on-run 1 wait-input\n@print resumed',
    });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    await waitFor(async () => (await screenOf(client!, t.id)).includes('waiting for input>'), {
      what: 'the agent to wait',
      describe: () => screenOf(client!, t.id),
    });
    const daemon = (await client.call('status', {})).daemon.pid;
    const agentPid = running.sessions[0]!.pid!;
    client.close();
    const worker = workerPid(repo.dir)!;
    process.kill(daemon, 'SIGKILL');
    process.kill(worker, 'SIGKILL');
    await waitFor(() => !isAlive(daemon) && !isAlive(worker), { what: 'the supervisor and its worker to die' });
    client = await clientFor(repo.dir);
    const stalled = await client.call('task.show', { id: t.id });
    expect(stalled.state).toBe('stalled');
    expect(stalled.reason).toMatch(/died with the previous supervisor/);
    await waitFor(() => !isAlive(agentPid), { what: 'the orphaned agent to be gone' });
    expect(readFileSync(join(stalled.worktree!, 'work.txt'), 'utf8')).toBe('precious\n');
    expect(repo.git('log', '--format=%s', stalled.branch!)).toContain('precious work');
    await client.call('task.retry', { id: t.id });
    const back = await waitForTask(client, t.id, inState('review'), 'in review after the restart');
    expect(back.worktree).toBe(stalled.worktree);
    expect(await screenOf(client, t.id)).toContain('resumed');
  });

  it('muster stop leaves running tasks stalled and restartable', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'waits', prompt: '@on-run 1 stay' });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    client.close();
    client = null;
    expect((await muster(repo.dir, ['stop'])).code).toBe(0);
    expect(isAlive(running.sessions[0]!.pid!)).toBe(false);
    const after = await musterJson<{ state: string; reason: string }>(repo.dir, ['task', 'show', String(t.id)]);
    expect(after).toMatchObject({ state: 'stalled', reason: 'stopped with the supervisor; retry restarts it' });
  });

  it('cancel stops the agent, keeps its work under an archive ref and frees its port slot; gc then removes the worktree without losing anything', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', {
      title: 'to cancel',
      prompt: '@write committed.txt in a commit\n@commit agent commit\n@write README.md changed but not committed\n@write untracked/new.txt brand new\n@stay',
    });
    await waitFor(
      async () =>
        (await client!.call('task.show', { id: t.id })).worktree &&
        existsSync(join((await client!.call('task.show', { id: t.id })).worktree!, 'untracked/new.txt')),
      { what: 'the agent to write' },
    );
    const cancelled = await client.call('task.cancel', { id: t.id });
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.ports).toBeNull();
    expect(cancelled.reason).toMatch(/work kept at refs\/muster\/archive\/task-1\/1/);
    const agentCommit = repo.git('rev-parse', cancelled.branch!).trim();
    const gc = await musterJson<{ removed: { path: string; archive: string }[] }>(repo.dir, ['gc']);
    expect(gc.removed.map((r) => r.path)).toEqual([cancelled.worktree]);
    expect(existsSync(cancelled.worktree!)).toBe(false);
    const archive = 'refs/muster/archive/task-1/1';
    expect(repo.git('show', `${archive}:committed.txt`)).toBe('in a commit\n');
    expect(repo.git('show', `${archive}:README.md`)).toBe('changed but not committed\n');
    expect(repo.git('show', `${archive}:untracked/new.txt`)).toBe('brand new\n');
    expect(repo.git('merge-base', '--is-ancestor', agentCommit, archive)).toBe('');
    expect(repo.git('worktree', 'list')).not.toContain('task-1');
  });

  it('gc keeps worktrees of tasks in review and of failed tasks unless forced, archiving before removal', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const ok = await client.call('task.add', { title: 'reviewable', prompt: '@exit 0' });
    const bad = await client.call('task.add', { title: 'broken', prompt: '@write half.txt half done\n@exit 1' });
    await waitForTask(client, ok.id, inState('review'), 'review');
    const failed = await waitForTask(client, bad.id, inState('failed'), 'failed');
    const plain = await musterJson<{ removed: unknown[]; kept: { path: string; why: string }[] }>(repo.dir, ['gc']);
    expect(plain.removed).toEqual([]);
    expect(plain.kept).toEqual([{ task: bad.id, path: failed.worktree, why: 'failed; "muster gc --force" removes it after archiving' }]);
    const forced = await musterJson<{ removed: { path: string; archive: string }[] }>(repo.dir, ['gc', '--force']);
    expect(forced.removed).toEqual([{ task: bad.id, path: failed.worktree, archive: 'refs/muster/archive/task-2/1' }]);
    expect(repo.git('show', 'refs/muster/archive/task-2/1:half.txt')).toBe('half done\n');
    expect(existsSync((await client.call('task.show', { id: ok.id })).worktree!)).toBe(true);
  });

  it('reassigning a running task restarts it in the same worktree with a hand-off note after the brief, before its prompt', async () => {
    repo = createAgentRepo();
    const cfg = readFileSync(join(repo.dir, '.muster/config.yaml'), 'utf8');
    repo.write(
      '.muster/config.yaml',
      cfg
        .replace(
          'default_agent: fake',
          `  fake2: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(join(import.meta.dirname, '../../fixtures/fake-agent.mjs'))}, "{prompt_file}"] }\ndefault_agent: fake`,
        )
        .replace('agents:\n', 'agents:\n'),
    );
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', {
      title: 'handed over',
      prompt: '@on-run 1 write start.txt begun\n@on-run 1 commit begin the work\n@on-run 1 stay\n@print continuing',
    });
    await waitFor(async () => repo!.git('log', '--format=%s', 'muster/1-handed-over').includes('begin the work'), { what: 'the first agent to commit' });
    const assigned = await client.call('task.assign', { id: t.id, agent: 'fake2' });
    expect(assigned.agent).toBe('fake2');
    const done = await waitForTask(client, t.id, inState('review'), 'review after the hand-off');
    expect(done.sessions.map((s) => s.agent)).toEqual(['fake', 'fake2']);
    const prompt = readFileSync(join(repo.dir, '.git/muster/tasks/1/PROMPT.md'), 'utf8');
    expect(prompt).toMatch(/^# muster: you are task #1/);
    expect(prompt).toMatch(/\n# Hand-off: task #1 moves from fake to fake2/);
    expect(prompt.indexOf('# muster: you are task #1')).toBeLessThan(prompt.indexOf('# Hand-off'));
    expect(prompt).toContain('begin the work');
    expect(prompt).toContain('start.txt');
    expect(prompt.indexOf('# Hand-off')).toBeLessThan(prompt.indexOf('@print continuing'));
  });

  it('says that a task reassigned while dispatch is paused waits for dispatch to resume', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'paused handover', prompt: '@stay' });
    await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    expect((await muster(repo.dir, ['pause'])).code).toBe(0);
    const r = await muster(repo.dir, ['task', 'assign', String(t.id), '--agent', 'shell']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      '#1 is now assigned to shell. Its agent stopped, and dispatch is paused: shell starts in the same worktree once you run "muster resume".\n',
    );
    expect((await waitForTask(client, t.id, (x) => x.reason === 'dispatch paused', 'waiting for dispatch')).state).toBe('ready');
  });

  it("takes an agent's reported status first, and recognises a waiting prompt on screen", async () => {
    repo = createAgentRepo();
    const cfg = readFileSync(join(repo.dir, '.muster/config.yaml'), 'utf8');
    repo.write('.muster/config.yaml', cfg.replace('"{prompt_file}"] }', '"{prompt_file}"], waiting_patterns: ["waiting for input> $"] }'));
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'talks', prompt: '@muster agent status idle\n@wait-input\n@wait-input' });
    const reported = await waitForTask(client, t.id, (x) => x.activity === 'idle', 'reported idle');
    expect(reported.activitySource).toBe('reported');
    // Typing into the agent answers what it reported; from then on the screen speaks.
    await client.call('term.input', { task: t.id, data: 'answer\r' });
    const waiting = await waitForTask(client, t.id, (x) => x.activity === 'waiting-input' || x.state !== 'running', 'seen waiting');
    expect(waiting).toMatchObject({ state: 'running', activity: 'waiting-input', activitySource: 'heuristic' });
    expect(await screenOf(client, t.id)).toContain('got: answer');
    // Activity is judged again every second: it is told to clients, never a journal record (and an fsync) of its own.
    expect(activityOnlyRecords(repo.dir)).toEqual([]);
  });

  it('task done from inside the worktree sends the task to review', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'self-reporting', prompt: '@muster task done\n@stay' });
    const done = await waitForTask(client, t.id, inState('review'), 'review');
    expect(done.reason).toBe('marked done by task #1');
    expect(done.activity).not.toBe('exited');
  });
});

describe('an agent killed by a signal from outside muster', () => {
  it('fails its task, saying which signal, instead of reporting it finished', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'killed', prompt: '@print working\n@stay' });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions.at(-1)?.pid != null, 'its agent started');
    process.kill(running.sessions.at(-1)!.pid!, 'SIGTERM');
    const ended = await waitForTask(client, t.id, inState('review', 'failed'), 'ended');
    expect(ended.state, ended.reason ?? '').toBe('failed');
    expect(ended.reason).toBe('agent was killed by signal 15');
  });
});
