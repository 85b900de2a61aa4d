import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archiveTaskWork, type ArchiveOutcome } from '../../../src/adapters/git/snapshot.js';
import { removeWorktree } from '../../../src/adapters/git/worktrees.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

const EXCLUDE = ['node_modules'];

function put(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@muster.invalid', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A task worktree beside the repository, on a new branch from main. */
function taskWorktree(r: TempRepo, id: number, opts: { orphan?: boolean } = {}): string {
  const wt = join(r.root, 'wts', `task-${id}`);
  r.git('worktree', 'add', '-q', ...(opts.orphan ? ['--detach'] : ['-b', `muster/${id}`]), wt);
  if (opts.orphan) gitIn(wt, 'checkout', '-q', '--orphan', `muster/${id}`);
  return wt;
}

function files(r: TempRepo, rev: string): string[] {
  return r.git('ls-tree', '-r', '--name-only', '--full-tree', rev).split('\n').filter(Boolean).sort();
}

function mustArchive(o: ArchiveOutcome): Extract<ArchiveOutcome, { ok: true }> {
  if (!o.ok) throw new Error(`not archived: ${o.reason}`);
  return o;
}

describe('archiving a task worktree', () => {
  it('keeps tracked changes, untracked and ignored files, and nested repositories (files and commits), leaving out only ignored regenerable directories', async () => {
    repo = createTempRepo();
    const r = repo;
    r.write('.gitignore', 'node_modules/\n.env\ndist/\n');
    r.write('tracked.txt', 'v1\n');
    r.commitAll('base');
    const wt = taskWorktree(r, 1);
    put(wt, 'tracked.txt', 'v2, uncommitted\n');
    put(wt, 'notes.md', 'untracked notes\n');
    put(wt, '.env', 'SECRET=1\n');
    put(wt, 'dist/out.js', 'built\n');
    put(wt, 'node_modules/pkg/index.js', 'dependency\n');
    // A nested repository without a commit: `git add -A` fails on it.
    put(wt, 'scaffold/app.ts', 'scaffolded\n');
    gitIn(join(wt, 'scaffold'), 'init', '-q');
    // One with commits, a second branch and uncommitted work.
    put(wt, 'vendor/lib/lib.c', 'int x;\n');
    gitIn(join(wt, 'vendor/lib'), 'init', '-q', '-b', 'trunk');
    gitIn(join(wt, 'vendor/lib'), 'add', '-A');
    gitIn(join(wt, 'vendor/lib'), 'commit', '-q', '-m', 'nested commit');
    gitIn(join(wt, 'vendor/lib'), 'branch', 'side');
    put(wt, 'vendor/lib/lib.c', 'int x = 2;\n');
    symlinkSync('tracked.txt', join(wt, 'link'));
    execFileSync('mkfifo', [join(wt, 'a-fifo')]);

    const a = mustArchive(await archiveTaskWork(r.dir, 1, { worktree: wt, branch: 'muster/1' }, 'test', { exclude: EXCLUDE }));
    expect(a.ref).toBe('refs/muster/archive/task-1/1');
    expect(files(r, a.ref!)).toEqual([
      '.env',
      '.gitignore',
      'README.md',
      'dist/out.js',
      'link',
      'notes.md',
      'scaffold/app.ts',
      'tracked.txt',
      'vendor/lib/lib.c',
    ]);
    expect(r.git('show', `${a.ref}:tracked.txt`)).toBe('v2, uncommitted\n');
    expect(r.git('show', `${a.ref}:vendor/lib/lib.c`)).toBe('int x = 2;\n');
    expect(r.git('cat-file', '-p', `${a.ref}^{tree}`)).toMatch(/120000 blob \w+\tlink/);
    expect(a.skipped).toEqual(['node_modules']);
    expect(a.nested.map((n) => n.path)).toEqual(['scaffold', 'vendor/lib']);
    const lib = a.nested[1]!.refs;
    const nestedHead = gitIn(join(wt, 'vendor/lib'), 'rev-parse', 'HEAD').trim();
    expect(r.git('rev-parse', `${lib}HEAD`, `${lib}refs/heads/trunk`, `${lib}refs/heads/side`).trim().split('\n')).toEqual([
      nestedHead,
      nestedHead,
      nestedHead,
    ]);
    expect(r.git('log', '--format=%B', '-1', a.ref!)).toContain('left out (ignored, regenerable): node_modules/');

    await removeWorktree(r.dir, a.kept);
    expect(existsSync(wt)).toBe(false);
    expect(r.git('cat-file', '-t', nestedHead).trim()).toBe('commit');
  });

  it('keeps a directory named like a regenerable one when it is not ignored, or holds a tracked file', async () => {
    repo = createTempRepo();
    const r = repo;
    r.write('.gitignore', 'node_modules/\n');
    r.write('lib/node_modules/keep.js', 'force-added\n');
    r.git('add', '-f', 'lib/node_modules/keep.js');
    r.commitAll('force-added file under an ignored directory');
    const wt = taskWorktree(r, 2);
    put(wt, 'lib/node_modules/keep.js', 'changed\n');
    put(wt, 'lib/node_modules/other.js', 'beside a tracked file\n');
    put(wt, 'app/target/report.txt', 'not ignored\n');
    const a = mustArchive(await archiveTaskWork(r.dir, 2, { worktree: wt, branch: 'muster/2' }, 'test', { exclude: ['node_modules', 'target'] }));
    expect(files(r, a.ref!)).toEqual(['.gitignore', 'README.md', 'app/target/report.txt', 'lib/node_modules/keep.js', 'lib/node_modules/other.js']);
    expect(a.skipped).toEqual([]);
  });

  it('keeps a submodule checked out in the worktree as plain files, with its commits, though its git dir lives in the worktree registration', async () => {
    repo = createTempRepo();
    const r = repo;
    const lib = join(r.root, 'lib-origin');
    mkdirSync(lib);
    gitIn(lib, 'init', '-q', '-b', 'main');
    put(lib, 'lib.txt', 'lib v1\n');
    gitIn(lib, 'add', '-A');
    gitIn(lib, 'commit', '-q', '-m', 'lib');
    const wt = taskWorktree(r, 6);
    gitIn(wt, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib, 'lib');
    gitIn(wt, 'commit', '-q', '-m', 'add the submodule');
    put(wt, 'lib/lib.txt', 'lib v2, uncommitted in the submodule\n');
    gitIn(join(wt, 'lib'), 'commit', '-q', '-am', 'a commit only the submodule has');
    const subHead = gitIn(join(wt, 'lib'), 'rev-parse', 'HEAD').trim();
    put(wt, 'lib/lib.txt', 'lib v3, uncommitted\n');
    const a = mustArchive(await archiveTaskWork(r.dir, 6, { worktree: wt, branch: 'muster/6' }, 'test', { exclude: EXCLUDE }));
    expect(files(r, a.ref!)).toEqual(['.gitmodules', 'README.md', 'lib/lib.txt']);
    expect(r.git('show', `${a.ref}:lib/lib.txt`)).toBe('lib v3, uncommitted\n');
    expect(r.git('rev-parse', `${a.nested[0]!.refs}HEAD`).trim()).toBe(subHead);
    await removeWorktree(r.dir, a.kept);
    expect(r.git('cat-file', '-t', subHead).trim()).toBe('commit');
  });

  it('keeps every stage of a conflicted index beside its path, and leaves the index unmerged', async () => {
    repo = createTempRepo();
    const r = repo;
    r.write('shared.txt', 'base\n');
    r.commitAll('base');
    const wt = taskWorktree(r, 7);
    put(wt, 'shared.txt', 'ours\n');
    gitIn(wt, 'commit', '-qam', 'ours');
    gitIn(wt, 'checkout', '-qb', 'other', 'HEAD~1');
    put(wt, 'shared.txt', 'theirs\n');
    gitIn(wt, 'commit', '-qam', 'theirs');
    gitIn(wt, 'checkout', '-q', 'muster/7');
    expect(() => gitIn(wt, 'merge', '-q', 'other')).toThrow();
    const index = gitIn(wt, 'ls-files', '--stage');
    const a = mustArchive(await archiveTaskWork(r.dir, 7, { worktree: wt, branch: 'muster/7' }, 'test', { exclude: EXCLUDE }));
    expect(files(r, `${a.ref}^2`)).toEqual(['README.md', 'shared.txt~base', 'shared.txt~ours', 'shared.txt~theirs']);
    expect(r.git('show', `${a.ref}^2:shared.txt~theirs`)).toBe('theirs\n');
    expect(r.git('show', `${a.ref}^2:shared.txt~base`)).toBe('base\n');
    expect(gitIn(wt, 'ls-files', '--stage')).toBe(index);
  });

  it('archives a worktree on an orphan branch (no commit yet) as a commit without a parent', async () => {
    repo = createTempRepo();
    const r = repo;
    const wt = taskWorktree(r, 3, { orphan: true });
    gitIn(wt, 'rm', '-rq', '--cached', '.');
    put(wt, 'fresh.txt', 'first file of a new history\n');
    const a = mustArchive(await archiveTaskWork(r.dir, 3, { worktree: wt, branch: 'muster/3' }, 'test', { exclude: EXCLUDE }));
    expect(files(r, a.ref!)).toEqual(['README.md', 'fresh.txt']);
    expect(r.git('rev-list', '--parents', '-1', a.ref!).trim()).toBe(a.commit);
  });

  it('refuses when a nested repository cannot be read, and then nothing may be removed', async () => {
    repo = createTempRepo();
    const r = repo;
    const wt = taskWorktree(r, 4);
    put(wt, 'broken/file.txt', 'work\n');
    put(wt, 'broken/.git', 'gitdir: /nonexistent/muster-test\n');
    const a = await archiveTaskWork(r.dir, 4, { worktree: wt, branch: 'muster/4' }, 'test', { exclude: EXCLUDE });
    expect(a).toMatchObject({
      ok: false,
      reason: 'the commits of its nested repository broken could not be kept (not a git repository: /nonexistent/muster-test)',
    });
    expect(r.git('for-each-ref', 'refs/muster/archive/').trim()).toBe('');
    expect(existsSync(join(wt, 'broken/file.txt'))).toBe(true);
  });

  it('keeps the branch tip when the directory is gone, and will not remove a directory that appeared after that', async () => {
    repo = createTempRepo();
    const r = repo;
    const wt = taskWorktree(r, 5);
    put(wt, 'c.txt', 'committed\n');
    gitIn(wt, 'add', '-A');
    gitIn(wt, 'commit', '-q', '-m', 'c');
    const tip = r.git('rev-parse', 'muster/5').trim();
    const gone = join(r.root, 'never-existed');
    const a = mustArchive(await archiveTaskWork(r.dir, 5, { worktree: gone, branch: 'muster/5' }, 'test', { exclude: EXCLUDE }));
    expect(a.commit).toBe(tip);
    put(gone, 'late.txt', 'arrived later\n');
    await expect(removeWorktree(r.dir, a.kept)).rejects.toThrow(/appeared after its work was archived/);
    expect(existsSync(join(gone, 'late.txt'))).toBe(true);
  });
});
