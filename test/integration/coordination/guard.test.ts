import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { muster, stopDaemon, testEnv } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

const running = (t: { state: string; sessions: { pid: number | null }[] }) => t.state === 'running' && t.sessions.at(-1)?.pid != null;

describe('dispatch with locks', () => {
  it("holds a task whose writes overlap a running task's in ready with the reason, and starts it when the locks are released", async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const first = await client.call('task.add', { title: 'auth rewrite', prompt: '@stay', writes: ['src/auth/**'] });
    await waitForTask(client, first.id, running, 'running');
    const second = await client.call('task.add', { title: 'login fix', prompt: '@stay', writes: ['src/auth/login.ts'] });
    const low = await client.call('task.add', { title: 'docs', prompt: '@stay', writes: ['src/auth/README.md'], risk: 'low' });
    const waiting = await waitForTask(client, second.id, (t) => t.state === 'ready' && !!t.reason, 'waiting with a reason');
    expect(waiting.reason).toBe('src/auth/login.ts overlaps src/auth/** held by #1 (write)');
    await waitForTask(client, low.id, running, 'running without declared locks');
    await client.call('task.cancel', { id: first.id });
    await waitForTask(client, second.id, running, 'running once #1 let go');
    const locks = await client.call('lock.list', {});
    expect(locks.map((l) => [l.resource, l.owner])).toEqual([['src/auth/login.ts', { task: second.id }]]);
  });

  it('runs a high-risk task alone', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const a = await client.call('task.add', { title: 'normal', prompt: '@stay' });
    await waitForTask(client, a.id, running, 'running');
    const high = await client.call('task.add', { title: 'migration', prompt: '@stay', risk: 'high' });
    const after = await client.call('task.add', { title: 'later', prompt: '@stay', risk: 'low' });
    expect((await waitForTask(client, high.id, (t) => !!t.reason, 'a reason')).reason).toBe('high risk: waits for the running tasks to finish');
    expect((await waitForTask(client, after.id, (t) => !!t.reason, 'a reason')).reason).toBe('waits behind high-risk #2');
    await client.call('task.cancel', { id: a.id });
    await waitForTask(client, high.id, running, 'running alone');
    expect((await waitForTask(client, after.id, (t) => t.reason?.startsWith('waits for high-risk') ?? false, 'held back')).state).toBe('ready');
  });
});

describe('the commit guard', () => {
  it("refuses a real commit in an agent worktree that touches a path write-locked by another task; the repository's own hooks still run, and the main worktree is untouched", async () => {
    repo = createAgentRepo();
    const marker = join(repo.root, 'hook-ran');
    const hook = join(repo.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\necho "$(pwd)" >> ${JSON.stringify(marker)}\n`);
    chmodSync(hook, 0o755);
    client = await clientFor(repo.dir);
    const owner = await client.call('task.add', { title: 'owner', prompt: '@stay', writes: ['shared.txt'] });
    await waitForTask(client, owner.id, running, 'running');
    const other = await client.call('task.add', { title: 'other', prompt: '@write shared.txt mine now\n@write own.txt fine\n@stay', writes: ['own.txt'] });
    const t = await waitForTask(client, other.id, (x) => running(x) && !!x.worktree && existsSync(join(x.worktree, 'own.txt')), 'writing');
    const wt = t.worktree!;
    const env = testEnv();
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=agent', '-c', 'user.email=a@b', ...args], { cwd: wt, env, encoding: 'utf8' });

    git('add', 'shared.txt', 'own.txt');
    const refused = git('commit', '-m', 'touches a locked file');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('commit refused: #2 would change paths write-locked by #1');
    expect(refused.stderr).toContain('shared.txt is write-locked by #1 (shared.txt)');
    expect(git('log', '--format=%s', '-1').stdout.trim()).not.toBe('touches a locked file');

    git('restore', '--staged', 'shared.txt');
    git('commit', '-m', 'own work');
    expect(git('log', '--format=%s', '-1').stdout.trim()).toBe('own work');
    expect(readFileSync(marker, 'utf8')).toContain(wt);

    // The main worktree keeps its own hooks configuration and still runs its hook.
    expect(spawnSync('git', ['config', 'core.hooksPath'], { cwd: repo.dir, encoding: 'utf8' }).stdout).toBe('');
    repo.write('main.txt', 'x');
    repo.commitAll('main commit');
    expect(readFileSync(marker, 'utf8')).toContain(repo.dir + '\n');
  });

  it('says, when a merge has nothing to land because the work is uncommitted, that the commit guard refused the commit', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const owner = await client.call('task.add', { title: 'owner', prompt: '@stay', writes: ['shared.txt'] });
    await waitForTask(client, owner.id, running, 'running');
    const other = await client.call('task.add', { title: 'other', prompt: '@write shared.txt mine now\n@stay', writes: ['own.txt'] });
    const t = await waitForTask(client, other.id, (x) => running(x) && !!x.worktree && existsSync(join(x.worktree, 'shared.txt')), 'writing');
    const git = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.name=agent', '-c', 'user.email=a@b', ...args], { cwd: t.worktree!, env: testEnv(), encoding: 'utf8' });
    git('add', 'shared.txt');
    expect(git('commit', '-m', 'touches a locked file').status).not.toBe(0);
    await client.call('task.done', { id: other.id });
    const r = await muster(repo.dir, ['merge', 'approve', String(other.id), '--json']);
    expect(r.code).toBe(3);
    const body = JSON.parse(r.stdout) as { reason: string; message: string };
    expect(body.reason).toBe('nothing-to-merge');
    expect(body.message).toMatch(
      /Its work is not committed: shared\.txt is only in its worktree\. The commit guard refused its commit at \d\d:\d\d: shared\.txt is write-locked by #1 \(shared\.txt\)\./,
    );
    const list = await muster(repo.dir, ['merge', 'list']);
    expect(list.stdout).toMatch(/the commit guard refused its commit at \d\d:\d\d: shared\.txt is write-locked by #1/);
  });

  it('counts both sides of a rename', async () => {
    repo = createAgentRepo();
    repo.write('locked/a.txt', 'a');
    repo.commitAll('a file to move');
    client = await clientFor(repo.dir);
    const owner = await client.call('task.add', { title: 'owner', prompt: '@stay', writes: ['locked/**'] });
    await waitForTask(client, owner.id, running, 'running');
    const mover = await client.call('task.add', { title: 'mover', prompt: '@stay', writes: ['free/**'] });
    const t = await waitForTask(client, mover.id, (x) => running(x) && !!x.worktree, 'running');
    const run = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.name=agent', '-c', 'user.email=a@b', ...args], { cwd: t.worktree!, env: testEnv(), encoding: 'utf8' });
    execFileSync('mkdir', ['-p', join(t.worktree!, 'free')]);
    run('mv', 'locked/a.txt', 'free/a.txt');
    const r = run('commit', '-m', 'move it');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('locked/a.txt is write-locked by #1 (locked/**)');
    await client.call('task.cancel', { id: mover.id });
    await waitForTask(client, mover.id, inState('cancelled'), 'cancelled');
  });
});
