import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
afterEach(async () => {
  client?.close();
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

function setup(extra = ''): Promise<MusterClient> {
  repo = createAgentRepo({ extra });
  return clientFor(repo.dir).then((c) => (client = c));
}

const tip = () => repo!.git('rev-parse', 'main').trim();
const head = () => repo!.git('rev-parse', 'HEAD').trim();
const status = () => repo!.git('status', '--porcelain');

async function reviewTask(c: MusterClient, title: string, prompt: string): Promise<number> {
  const t = await c.call('task.add', { title, prompt, risk: 'low' });
  await waitForTask(c, t.id, inState('review'), 'in review');
  return t.id;
}

describe('approve', () => {
  it('lands a task: the target and the clean main checkout move, the old tip is backed up, the task is merged, its worktree archived and removed, dependents unblocked', async () => {
    const c = await setup();
    const id = await reviewTask(c, 'feature', '@write feature.txt new feature\n@commit add feature\n@exit 0');
    const next = await c.call('task.add', { title: 'after', prompt: '@stay', after: [id] });
    expect((await c.call('task.show', { id: next.id })).state).toBe('backlog');
    const before = tip();
    const worktree = (await c.call('task.show', { id })).worktree!;
    const r = await muster(repo!.dir, ['merge', 'approve', String(id), '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ landed: true, target: 'main', from: before });
    expect(tip()).toBe(body.to);
    expect(head()).toBe(body.to);
    expect(readFileSync(join(repo!.dir, 'feature.txt'), 'utf8')).toBe('new feature\n');
    expect(status()).toBe('');
    expect(repo!.git('for-each-ref', '--format=%(objectname)', 'refs/muster/backup/').trim()).toBe(before);
    expect((await c.call('task.show', { id })).state).toBe('merged');
    expect(existsSync(worktree)).toBe(false);
    expect(repo!.git('for-each-ref', '--format=%(refname)', `refs/muster/archive/task-${id}/`).trim()).toBe(`refs/muster/archive/task-${id}/1`);
    await waitForTask(c, next.id, (t) => t.state === 'running', 'unblocked and started');
  });

  it.each([
    ['a failed gate', 'quality_gates:\n  - { name: unit, run: "echo boom on stderr >&2; exit 7" }', '@write a.txt a\n@commit a\n@exit 0', 'gate-failed'],
    ['a conflict', '', '@write README.md agent version\n@commit agent readme\n@exit 0', 'conflict'],
  ])('moves nothing after %s: exit 3 with the reason, target and checkout exactly as they were', async (_name, extra, prompt, reason) => {
    const c = await setup(extra);
    const id = await reviewTask(c, 'change', prompt);
    if (reason === 'conflict') {
      repo!.write('README.md', 'main version\n');
      repo!.commitAll('main edits readme');
    }
    const [t0, h0, s0] = [tip(), head(), status()];
    const r = await muster(repo!.dir, ['merge', 'approve', String(id), '--json']);
    expect(r.code).toBe(3);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ landed: false, reason });
    if (reason === 'gate-failed') expect(body.gate).toMatchObject({ name: 'unit', output: expect.stringContaining('boom on stderr') });
    if (reason === 'conflict') expect(body.paths).toEqual(['README.md']);
    expect([tip(), head(), status()]).toEqual([t0, h0, s0]);
    expect(await c.call('task.show', { id })).toMatchObject({ state: 'review', reason: expect.stringContaining('stopped') });
  });

  it('moves nothing when the main checkout is dirty, and says so; the uncommitted change is kept', async () => {
    const c = await setup();
    const id = await reviewTask(c, 'change', '@write b.txt b\n@commit b\n@exit 0');
    repo!.write('README.md', 'operator is editing\n');
    const [t0, h0] = [tip(), head()];
    const r = await muster(repo!.dir, ['merge', 'approve', String(id), '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ landed: false, reason: 'dirty-checkout', message: expect.stringContaining('uncommitted changes (README.md)') });
    expect([tip(), head()]).toEqual([t0, h0]);
    expect(readFileSync(join(repo!.dir, 'README.md'), 'utf8')).toBe('operator is editing\n');
  });

  it('re-merges and re-tests when the target moves during a gate, never overwriting the new commit', async () => {
    const marker = '/tmp/muster-gate-moved-' + process.pid + '-' + Date.now();
    const gate = `if [ ! -e ${marker} ]; then touch ${marker}; git -C "$MUSTER_ROOT_FOR_TEST" -c user.name=x -c user.email=x@y commit -q --allow-empty -m "someone else"; fi; echo ran >> ${marker}.runs`;
    const c = await setup(`quality_gates:\n  - { name: racy, run: ${JSON.stringify(gate.replace('$MUSTER_ROOT_FOR_TEST', '__ROOT__'))} }`);
    const cfg = readFileSync(join(repo!.dir, '.muster/config.yaml'), 'utf8').replace('__ROOT__', repo!.dir);
    repo!.write('.muster/config.yaml', cfg);
    repo!.commitAll('gate with the real root');
    await muster(repo!.dir, ['stop']);
    client!.close();
    client = await clientFor(repo!.dir);
    const id = await reviewTask(client, 'raced', '@write r.txt r\n@commit r\n@exit 0');
    const r = await muster(repo!.dir, ['merge', 'approve', String(id), '--json']);
    expect(r.code).toBe(0);
    const landed = JSON.parse(r.stdout);
    const someoneElse = repo!.git('log', '--format=%H', '--grep', 'someone else', 'main').trim();
    expect(someoneElse).not.toBe('');
    expect(landed.from).toBe(someoneElse);
    expect(repo!.git('merge-base', '--is-ancestor', someoneElse, 'main')).toBe('');
    expect(readFileSync(`${marker}.runs`, 'utf8').trim().split('\n')).toHaveLength(2);
    execFileSync('rm', ['-f', marker, `${marker}.runs`]);
  });

  it.each(['rebase', 'squash'])('lands with the %s strategy', async (strategy) => {
    const c = await setup(`merge: { strategy: ${strategy} }`);
    const id = await reviewTask(c, 'strat', '@write s1.txt one\n@commit one\n@write s2.txt two\n@commit two\n@exit 0');
    const before = tip();
    const r = await muster(repo!.dir, ['merge', 'approve', String(id)]);
    expect(r.code).toBe(0);
    const subjects = repo!.git('log', '--format=%s', `${before}..main`).trim().split('\n');
    expect(subjects).toEqual(strategy === 'rebase' ? ['two', 'one'] : [`Merge task #${id}: strat (muster)`]);
    expect(repo!.git('rev-list', '--parents', '-n', '1', 'main').trim().split(' ')).toHaveLength(2);
  });
});

describe('undo and reject', () => {
  it('undo puts target and checkout back and the task back in review', async () => {
    const c = await setup();
    const id = await reviewTask(c, 'undo me', '@write u.txt u\n@commit u\n@exit 0');
    const before = tip();
    expect((await muster(repo!.dir, ['merge', 'approve', String(id)])).code).toBe(0);
    const landed = tip();
    const r = await muster(repo!.dir, ['merge', 'undo']);
    expect(r.code).toBe(0);
    expect(tip()).toBe(before);
    expect(head()).toBe(before);
    expect(existsSync(join(repo!.dir, 'u.txt'))).toBe(false);
    expect((await c.call('task.show', { id })).state).toBe('review');
    expect(repo!.git('for-each-ref', '--format=%(objectname)', 'refs/muster/undone/').trim()).toBe(landed);
    expect((await muster(repo!.dir, ['merge', 'undo'])).code).toBe(2);
  });

  it('refuses to undo when something else moved the target since', async () => {
    const c = await setup();
    const id = await reviewTask(c, 'x', '@write x.txt x\n@commit x\n@exit 0');
    await muster(repo!.dir, ['merge', 'approve', String(id)]);
    repo!.write('other.txt', 'o');
    repo!.commitAll('after the landing');
    const t = tip();
    const r = await muster(repo!.dir, ['merge', 'undo']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('moved since it landed');
    expect(tip()).toBe(t);
  });

  it('types the feedback into a live agent session; an exited agent restarts with the feedback in its prompt', async () => {
    const c = await setup();
    const live = await c.call('task.add', { title: 'live', prompt: '@muster task done\n@wait-input\n@stay', risk: 'low' });
    await waitForTask(c, live.id, inState('review'), 'review');
    await c.call('merge.reject', { id: live.id, reason: 'please add tests' });
    expect((await c.call('task.show', { id: live.id })).state).toBe('running');
    await waitFor(async () => (await screenOf(c, live.id)).includes('got: please add tests'), { what: 'the feedback in the session' });

    const exited = await reviewTask(c, 'exited', '@on-run 1 exit 0\n@print second run');
    await c.call('merge.reject', { id: exited, reason: 'rename the function' });
    await waitForTask(c, exited, (t) => t.sessions.length === 2 && t.sessions[1]?.pid != null, 'restarted');
    const prompt = readFileSync(join(repo!.dir, '.git/muster/tasks', String(exited), 'PROMPT.md'), 'utf8');
    expect(prompt).toMatch(/## Feedback from the operator\n\n1\. rename the function\n$/);
  });
});

describe('nothing is lost', () => {
  it('keeps every commit an agent made reachable after approve, reject, undo, cancel and gc', async () => {
    const c = await setup();
    const a = await reviewTask(c, 'a', '@write a1.txt 1\n@commit a one\n@write a2.txt 2\n@commit a two\n@exit 0');
    const b = await reviewTask(c, 'b', '@on-run 1 write b.txt 1\n@on-run 1 commit b one\n@on-run 1 exit 0\n@on-run 2 write b.txt 2\n@on-run 2 commit b two\n@on-run 2 exit 0');
    const d = await c.call('task.add', { title: 'd', prompt: '@write d.txt d\n@commit d one\n@write d-wip.txt wip\n@stay', risk: 'low' });
    await waitFor(async () => repo!.git('log', '--format=%s', 'muster/3-d').includes('d one'), { what: 'd to commit' });
    const agentCommits = () =>
      repo!
        .git('for-each-ref', '--format=%(refname)', 'refs/heads/muster/')
        .trim()
        .split('\n')
        .flatMap((ref) => repo!.git('rev-list', ref, '^main@{1.year.ago}').trim().split('\n'))
        .filter(Boolean);
    const seen = new Set<string>(agentCommits());
    await muster(repo!.dir, ['merge', 'approve', String(a)]);
    await muster(repo!.dir, ['merge', 'undo']);
    await c.call('merge.reject', { id: b, reason: 'again' });
    await waitForTask(c, b, (t) => t.state === 'review' && t.sessions.length === 2, 'b again');
    for (const s of agentCommits()) seen.add(s);
    await muster(repo!.dir, ['merge', 'approve', String(b)]);
    await muster(repo!.dir, ['merge', 'approve', String(a)]);
    await c.call('task.cancel', { id: d.id });
    await muster(repo!.dir, ['gc', '--force']);
    // Branches may be gone or moved; every commit must still be reachable from some ref.
    const unreachable = repo!.git('fsck', '--unreachable', '--no-reflogs', '--no-progress');
    for (const sha of seen) expect(unreachable).not.toContain(sha);
    const all = new Set(repo!.git('rev-list', '--all').trim().split('\n'));
    for (const sha of seen) expect(all.has(sha)).toBe(true);
    expect(repo!.git('show', `refs/muster/archive/task-${d.id}/1:d-wip.txt`)).toBe('wip\n');
  }, 120_000);
});
