import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { expectNothingLost, takeInventory } from './harness.js';
import { gitIn, leaveLooseWork, put } from './merge-flow.js';

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

async function setup(gitignore = '.env\nnode_modules/\n'): Promise<{ r: TempRepo; c: MusterClient }> {
  repo = createAgentRepo();
  repo.write('.gitignore', gitignore);
  repo.commitAll('ignore local files');
  client = await clientFor(repo.dir);
  return { r: repo, c: client };
}

async function reviewTask(c: MusterClient, prompt: string): Promise<{ id: number; worktree: string }> {
  const t = await c.call('task.add', { title: 'work', prompt, risk: 'low' });
  const done = await waitForTask(c, t.id, inState('review', 'failed'), 'finished');
  return { id: t.id, worktree: done.worktree! };
}

const files = (r: TempRepo, rev: string) => r.git('ls-tree', '-r', '--name-only', '--full-tree', rev).split('\n').filter(Boolean).sort();

describe('landing and gc keep everything in a worktree', () => {
  it('archives uncommitted, ignored and nested-repository work before a landing removes the worktree', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write feature.txt feature\n@commit add feature\n@exit 0');
    const nested = leaveLooseWork(worktree);
    const before = takeInventory(r, id, worktree, nested);
    const approved = await musterJson<{ landed: boolean; warning: string | null }>(r.dir, ['merge', 'approve', String(id)]);
    expect(approved).toMatchObject({ landed: true, warning: null });
    expect(existsSync(worktree)).toBe(false);
    const archive = `refs/muster/archive/task-${id}/1`;
    expect(files(r, archive)).toEqual([
      '.env',
      '.gitignore',
      '.muster/config.yaml',
      'README.md',
      'feature.txt',
      'notes.md',
      'scaffold/app.ts',
      'vendor/lib/lib.c',
    ]);
    expect(r.git('show', `${archive}:vendor/lib/lib.c`)).toBe('int v = 2;\n');
    expect(r.git('log', '-1', '--format=%B', archive)).toContain('left out (ignored, regenerable): node_modules/');
    expectNothingLost(r, before);
  });

  it('lands but keeps the worktree, and says why, when its snapshot cannot hold everything; gc keeps it too until that is fixed', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write feature.txt feature\n@commit add feature\n@exit 0');
    put(worktree, 'notes.md', 'uncommitted notes\n');
    put(worktree, 'broken/work.txt', 'inside a repository git cannot read\n');
    put(worktree, 'broken/.git', 'gitdir: /nonexistent/muster-fault\n');
    const before = takeInventory(r, id, worktree);
    const approved = await musterJson<{ landed: boolean; warning: string | null }>(r.dir, ['merge', 'approve', String(id)]);
    expect(approved.landed).toBe(true);
    expect(approved.warning).toContain(`its worktree ${worktree} stays: the commits of its nested repository broken could not be kept`);
    const task = await c.call('task.show', { id });
    expect(task).toMatchObject({ state: 'merged', worktree });
    expect(task.reason).toContain('stays');
    expect(readFileSync(join(worktree, 'notes.md'), 'utf8')).toBe('uncommitted notes\n');

    const gc = await musterJson<{ removed: unknown[]; kept: { path: string; why: string }[] }>(r.dir, ['gc']);
    expect(gc.removed).toEqual([]);
    expect(gc.kept).toEqual([
      {
        task: id,
        path: worktree,
        why: expect.stringMatching(/^not removed: the commits of its nested repository broken could not be kept .*; nothing was deleted$/),
      },
    ]);
    expect(existsSync(join(worktree, 'broken/work.txt'))).toBe(true);

    rmSync(join(worktree, 'broken/.git'));
    const again = await musterJson<{ removed: { path: string }[]; kept: unknown[] }>(r.dir, ['gc']);
    expect(again.removed.map((x) => x.path)).toEqual([worktree]);
    expectNothingLost(r, before);
  });

  it('gc --force archives a worktree on an orphan branch (no commit) with its files before removing it', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write half.txt half done\n@exit 1');
    gitIn(worktree, 'checkout', '-q', '--orphan', 'fresh-start');
    put(worktree, 'new-history.txt', 'the first file of a new history\n');
    const before = takeInventory(r, id, worktree);
    const gc = await musterJson<{ removed: { path: string; archive: string }[] }>(r.dir, ['gc', '--force']);
    expect(gc.removed).toEqual([{ task: id, path: worktree, archive: `refs/muster/archive/task-${id}/1` }]);
    expect(r.git('show', `refs/muster/archive/task-${id}/1:new-history.txt`)).toBe('the first file of a new history\n');
    expect(r.git('show', `refs/muster/archive/task-${id}/1:half.txt`)).toBe('half done\n');
    expectNothingLost(r, before);
  });
});

describe('staged versions and commits only the worktree reflog reaches', () => {
  it('keeps what was staged and then changed or deleted on disk, through cancel and gc', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write feature.txt feature\n@commit add feature\n@exit 0');
    put(worktree, 'feature.txt', 'the staged version\n');
    gitIn(worktree, 'add', 'feature.txt');
    put(worktree, 'feature.txt', 'the version on disk\n');
    put(worktree, 'draft.txt', 'staged, then deleted from disk\n');
    gitIn(worktree, 'add', 'draft.txt');
    rmSync(join(worktree, 'draft.txt'));
    const before = takeInventory(r, id, worktree);
    const index = gitIn(worktree, 'ls-files', '--stage').trim();

    expect((await c.call('task.cancel', { id })).state).toBe('cancelled');
    expect(gitIn(worktree, 'ls-files', '--stage').trim(), "the agent's index is left as it was").toBe(index);
    const gc = await musterJson<{ removed: { path: string; archive: string }[] }>(r.dir, ['gc']);
    expect(gc.removed.map((x) => x.path)).toEqual([worktree]);
    expectNothingLost(r, before);
    const archive = gc.removed[0]!.archive;
    expect(r.git('show', `${archive}:feature.txt`)).toBe('the version on disk\n');
    expect(r.git('show', `${archive}^2:feature.txt`)).toBe('the staged version\n');
    expect(r.git('show', `${archive}^2:draft.txt`)).toBe('staged, then deleted from disk\n');
  });

  it('keeps commits made on a detached HEAD that the agent left, when a landing removes the worktree', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write feature.txt feature\n@commit add feature\n@exit 0');
    const branch = gitIn(worktree, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    gitIn(worktree, 'checkout', '-q', '--detach');
    put(worktree, 'experiment.txt', 'tried on a detached HEAD\n');
    gitIn(worktree, 'add', '-A');
    gitIn(worktree, 'commit', '-q', '-m', 'an experiment');
    put(worktree, 'experiment.txt', 'and a second try\n');
    gitIn(worktree, 'commit', '-qam', 'another experiment');
    const left = gitIn(worktree, 'rev-parse', 'HEAD').trim();
    gitIn(worktree, 'checkout', '-q', branch);
    const before = takeInventory(r, id, worktree);
    expect(before.commits.has(left)).toBe(true);

    const approved = await musterJson<{ landed: boolean; warning: string | null }>(r.dir, ['merge', 'approve', String(id)]);
    expect(approved).toMatchObject({ landed: true, warning: null });
    expect(existsSync(worktree)).toBe(false);
    expectNothingLost(r, before);
    expect(r.git('for-each-ref', '--format=%(objectname) %(refname)', `refs/muster/reflog/task-${id}/`).trim()).toBe(
      `${left} refs/muster/reflog/task-${id}/1/1`,
    );
  });

  it('archives an unchanged worktree once: cancel, then gc, give one archive ref', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write feature.txt feature\n@commit add feature\n@exit 0');
    put(worktree, 'notes.md', 'uncommitted notes\n');
    put(worktree, 'staged.txt', 'staged\n');
    gitIn(worktree, 'add', 'staged.txt');
    put(worktree, 'staged.txt', 'changed after staging\n');
    const cancelled = await c.call('task.cancel', { id });
    expect(cancelled.reason).toContain(`work kept at refs/muster/archive/task-${id}/1`);
    const gc = await musterJson<{ removed: { path: string; archive: string }[] }>(r.dir, ['gc']);
    expect(gc.removed).toEqual([{ task: id, path: worktree, archive: `refs/muster/archive/task-${id}/1` }]);
    expect(r.git('for-each-ref', '--format=%(refname)', `refs/muster/archive/task-${id}/`).trim()).toBe(`refs/muster/archive/task-${id}/1`);
  });
});

describe('a worktree whose directory vanished', () => {
  it('keeps its detached HEAD under an archive ref before the next start prunes its registration', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write a.txt a\n@commit a\n@exit 0');
    gitIn(worktree, 'checkout', '-q', '--detach');
    put(worktree, 'detached.txt', 'committed on a detached HEAD\n');
    gitIn(worktree, 'add', '-A');
    gitIn(worktree, 'commit', '-q', '-m', 'only reachable from this worktree');
    const detached = gitIn(worktree, 'rev-parse', 'HEAD').trim();
    c.close();
    client = null;
    await stopDaemon(r.dir);
    rmSync(worktree, { recursive: true, force: true });
    client = await clientFor(r.dir);
    const archived = r.git('for-each-ref', '--format=%(objectname)', `refs/muster/archive/task-${id}/`).trim();
    expect(archived).toBe(detached);
    expect(r.git('worktree', 'list', '--porcelain')).not.toContain(worktree);
  });
});

describe('a cancelled task whose worktree directory vanished', () => {
  it('names no worktree after the next start', async () => {
    const { r, c } = await setup();
    const { id, worktree } = await reviewTask(c, '@write a.txt a\n@commit a\n@exit 0');
    expect((await c.call('task.cancel', { id })).worktree).toBe(worktree);
    c.close();
    client = null;
    await stopDaemon(r.dir);
    rmSync(worktree, { recursive: true, force: true });
    client = await clientFor(r.dir);
    expect(await client.call('task.show', { id })).toMatchObject({ state: 'cancelled', worktree: null });
  });
});

describe('the main checkout at landing', () => {
  it('moves nothing when an untracked or ignored file is where the landing would write, and names it', async () => {
    const { r, c } = await setup('.env\ncache\n');
    // The task stops ignoring cache/ and adds a file there; in the main checkout cache is still ignored.
    const { id } = await reviewTask(c, '@write .gitignore .env\n@write file-7.txt from the task\n@write cache/data.txt cached\n@commit add files\n@exit 0');
    r.write('file-7.txt', "the operator's own\n");
    r.write('cache', 'an ignored file where the task has a directory\n');
    const [tip, status] = [r.git('rev-parse', 'main'), r.git('status', '--porcelain', '--ignored')];
    const res = await muster(r.dir, ['merge', 'approve', String(id), '--json']);
    expect(res.code, res.stderr).toBe(3);
    const body = JSON.parse(res.stdout);
    expect(body).toMatchObject({ landed: false, reason: 'dirty-checkout', paths: ['cache', 'file-7.txt'] });
    expect(body.message).toContain('untracked files that the landing would overwrite (cache and file-7.txt)');
    expect([r.git('rev-parse', 'main'), r.git('status', '--porcelain', '--ignored')]).toEqual([tip, status]);
    expect(readFileSync(join(r.dir, 'file-7.txt'), 'utf8')).toBe("the operator's own\n");
    expect((await c.call('task.show', { id })).state).toBe('review');

    rmSync(join(r.dir, 'file-7.txt'));
    rmSync(join(r.dir, 'cache'));
    const landed = await musterJson<{ landed: boolean; warning: string | null }>(r.dir, ['merge', 'approve', String(id)]);
    expect(landed).toMatchObject({ landed: true, warning: null });
    expect(readFileSync(join(r.dir, 'file-7.txt'), 'utf8')).toBe('from the task\n');
    expect(r.git('status', '--porcelain')).toBe('');
  });
});
