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

  it('shows each gate as it runs, the failing part of the output, and the next step as a command, never a cockpit key', async () => {
    const noise = Array.from({ length: 120 }, (_, i) => `echo "ok step ${i}"`).join('; ');
    const c = await setup(
      `quality_gates:\n  - { name: lint, run: "echo linted" }\n  - { name: unit, run: ${JSON.stringify(`${noise}; echo 'FAIL cart.test.ts > applies the coupon once'; echo '  expected 90 to be 80'; ${noise}; echo 'Tests 1 failed'; exit 1`)} }`,
    );
    const id = await reviewTask(c, 'gated', '@write g.txt g\n@commit g\n@exit 0');
    const r = await muster(repo!.dir, ['merge', 'approve', String(id)]);
    expect(r.code).toBe(3);
    const lines = r.stderr.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/^#1 merging onto the target/)).toBeGreaterThanOrEqual(0);
    expect(at(/^#1 gate lint…/)).toBeGreaterThan(at(/^#1 merging onto the target/));
    expect(at(/^#1 {3}✓ gate lint passed \(\d+\.\ds\)$/)).toBeGreaterThan(at(/^#1 gate lint…/));
    expect(at(/^#1 gate unit…/)).toBeGreaterThan(at(/✓ gate lint passed/));
    expect(at(/^#1 {3}✗ gate unit failed/)).toBeGreaterThan(at(/^#1 gate unit…/));
    expect(r.stderr).toContain('the unit gate failed on the merged result, so main did not move.');
    expect(r.stderr).toMatch(/FAIL cart\.test\.ts > applies the coupon once\n {2}expected 90 to be 80/);
    expect(r.stderr).toContain('Tests 1 failed');
    expect(r.stderr).not.toContain('ok step 60');
    expect(r.stderr).toContain(`Next: muster merge reject ${id} --reason "…" sends it back to its agent with the gate's output.`);
    expect(r.stderr).not.toMatch(/\b[ry] (sends|approves)/);
    // task show says the same, after the task itself.
    const shown = await muster(repo!.dir, ['task', 'show', String(id)]);
    expect(shown.stdout).toMatch(/Last merge attempt\n {2}Merge of #1 into main stopped: the unit gate failed/);
    expect(shown.stdout).toMatch(/│ FAIL cart\.test\.ts > applies the coupon once\n {2}│ {3}expected 90 to be 80/);
    expect(shown.stdout).toContain(`Next: muster merge reject ${id} --reason "…"`);
    expect(shown.stdout).toMatch(/Commits \(1\)\n {2}[0-9a-f]+ g/);
  });

  it('moves nothing when the main checkout is dirty, and says so; the uncommitted change is kept', async () => {
    const c = await setup();
    const id = await reviewTask(c, 'change', '@write b.txt b\n@commit b\n@exit 0');
    repo!.write('README.md', 'operator is editing\n');
    const [t0, h0] = [tip(), head()];
    const r = await muster(repo!.dir, ['merge', 'approve', String(id), '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      landed: false,
      reason: 'dirty-checkout',
      message: expect.stringContaining('uncommitted changes (README.md)'),
    });
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

  it('says which commits did not land when the agent, still live in review, commits while the gates run', async () => {
    const release = `/tmp/muster-gate-hold-${process.pid}-${Date.now()}`;
    const c = await setup(`quality_gates:\n  - { name: hold, run: ${JSON.stringify(`while [ ! -e ${release} ]; do sleep 0.05; done`)} }`);
    const t = await c.call('task.add', {
      title: 'live',
      prompt: '@write feature.txt feature\n@commit add feature\n@muster task done --summary done\n@stay',
      risk: 'low',
    });
    const review = await waitForTask(c, t.id, inState('review'), 'in review');
    expect((await c.call('task.show', { id: t.id })).sessions.at(-1)?.endedAt, 'its agent is still live').toBeNull();
    const worktree = review.worktree!;
    const branch = review.branch!;
    const approving = c.call('merge.approve', { id: t.id });
    await waitForTask(c, t.id, (x) => x.reason === 'merging: gate hold', 'running its gate');
    // What the agent does meanwhile: its commit comes after the one being tested.
    execFileSync('git', ['-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-q', '--allow-empty', '-m', 'after the approval'], { cwd: worktree });
    const late = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: worktree, encoding: 'utf8' }).trim();
    execFileSync('touch', [release]);
    const landed = await approving;
    execFileSync('rm', ['-f', release]);
    if (!landed.landed) throw new Error(landed.message);
    const said = `${branch} moved on while it was being merged: 1 commit made after`;
    expect(landed.warning).toContain(said);
    expect(landed.warning).toContain('did not land');
    const task = await c.call('task.show', { id: t.id });
    expect(task.state).toBe('merged');
    expect(task.reason).toContain(said);
    expect(repo!.git('rev-parse', branch).trim()).toBe(late);
    expect(() => repo!.git('merge-base', '--is-ancestor', late, 'main')).toThrow();
    expect(repo!.git('merge-base', '--is-ancestor', late, `refs/muster/archive/task-${t.id}/1`)).toBe('');
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

  it('undo gives the task back its declared locks, forgets the landed result, and says nothing about the target that a later move makes false', async () => {
    const c = await setup();
    const t = await c.call('task.add', {
      title: 'locked',
      prompt: '@write u.txt u\n@commit u\n@exit 0',
      risk: 'medium',
      writes: ['u.txt'],
      reads: ['README.md'],
    });
    await waitForTask(c, t.id, inState('review'), 'in review');
    const declared = async () =>
      (await c.call('lock.list', {})).filter((l) => 'task' in l.owner && l.owner.task === t.id).map((l) => [l.resource, l.mode, l.declared]);
    expect(await declared()).toEqual([
      ['u.txt', 'write', true],
      ['README.md', 'read', true],
    ]);
    expect((await muster(repo!.dir, ['merge', 'approve', String(t.id)])).code).toBe(0);
    expect(await declared()).toEqual([]);
    expect((await muster(repo!.dir, ['merge', 'undo'])).code).toBe(0);
    expect(await declared()).toEqual([
      ['u.txt', 'write', true],
      ['README.md', 'read', true],
    ]);
    const list = JSON.parse((await muster(repo!.dir, ['merge', 'list', '--json'])).stdout) as {
      queue: { task: { id: number }; result: { landed: boolean } | null }[];
    };
    expect(list.queue.find((e) => e.task.id === t.id)?.result ?? null).toBeNull();
    repo!.write('later.txt', 'later\n');
    repo!.commitAll('main moves on');
    const after = await c.call('task.show', { id: t.id });
    expect(after.state).toBe('review');
    expect(after.reason).toMatch(/undone/);
    expect(after.reason).not.toMatch(/back at|is at [0-9a-f]{7}/);
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

  it("sends the failing part of the gate's output with the rejection of a task whose gate failed, once per attempt", async () => {
    const c = await setup(
      "quality_gates:\n  - { name: unit, run: \"echo compiling; echo 'FAIL cart.test.ts > coupon'; echo '  expected 90 to be 80'; exit 1\" }",
    );
    const id = await reviewTask(c, 'gated', '@on-run 1 write g.txt g\n@on-run 1 commit g\n@on-run 1 exit 0\n@on-run 2 exit 0\n@on-run 3 exit 0');
    expect((await muster(repo!.dir, ['merge', 'approve', String(id)])).code).toBe(3);
    expect((await muster(repo!.dir, ['merge', 'reject', String(id), '--reason', 'make the tests pass'])).code).toBe(0);
    await waitForTask(c, id, (t) => t.state === 'review' && t.sessions.length === 2, 'back in review after the second run');
    const prompt = () => readFileSync(join(repo!.dir, '.git/muster/tasks', String(id), 'PROMPT.md'), 'utf8');
    expect(prompt()).toMatch(
      /1\. make the tests pass\n+ *The unit gate failed on the merged result \(attempt of [^)]+\); the failing part of its output:\n *compiling\n *FAIL cart\.test\.ts > coupon\n *expected 90 to be 80/,
    );
    expect((await muster(repo!.dir, ['merge', 'reject', String(id), '--reason', 'and add a test'])).code).toBe(0);
    await waitForTask(c, id, (t) => t.state === 'review' && t.sessions.length === 3, 'back in review after the third run');
    expect(prompt()).toMatch(/2\. and add a test\n*$/);
    expect(prompt().match(/FAIL cart\.test\.ts/g)).toHaveLength(1);
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
    const b = await reviewTask(
      c,
      'b',
      '@on-run 1 write b.txt 1\n@on-run 1 commit b one\n@on-run 1 exit 0\n@on-run 2 write b.txt 2\n@on-run 2 commit b two\n@on-run 2 exit 0',
    );
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
