import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostWork } from '../../../src/adapters/worker/host-work.js';
import { hostServedMarker } from '../../../src/paths/muster-paths.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
let work: HostWork | null = null;
afterEach(() => {
  work?.close();
  work = null;
  repo?.cleanup();
  repo = null;
});

const gitIn = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A host's work directory beside a repository whose branch muster/1 is pushed to the host's bare repository. */
async function hostWithBranch(): Promise<{ dir: string; gitDir: string }> {
  repo = createTempRepo();
  const dir = join(repo.root, 'host-work');
  work = new HostWork(dir, () => undefined);
  const { gitDir } = await work.prepare('repo');
  repo.git('push', '-q', gitDir, 'main:refs/heads/muster/1');
  return { dir, gitDir };
}

describe("a host's work directory (HostWork)", () => {
  it('marks a repository as served by the host worker when it is prepared, before any supervisor serves it: `muster` there never starts a supervisor of its own', async () => {
    const { gitDir } = await hostWithBranch();
    expect(existsSync(hostServedMarker(join(gitDir, 'muster')))).toBe(true);
  });

  it("says at prepare where a task's files and the host's muster will be, so one checkout writes the agent's wiring with its worktree", async () => {
    const { dir } = await hostWithBranch();
    const where = await work!.prepare('repo');
    const placed = await work!.checkout({ repo: 'repo', task: 1, branch: 'muster/1', files: { 'PROMPT.md': 'do it' } });
    expect(placed.taskDir).toBe(join(where.tasksDir, '1'));
    expect(placed.muster).toBe(where.muster);
    expect(where.muster.startsWith(dir)).toBe(true);
    expect(readFileSync(join(where.tasksDir, '1', 'PROMPT.md'), 'utf8')).toBe('do it');
  });

  it('gives a worktree made before per-worktree config was on its commit guard and core.bare=false on the next checkout', async () => {
    const { gitDir } = await hostWithBranch();
    const wt = work!.worktree('repo', 1);
    // As an older worker left it: a plain worktree, then per-worktree config turned on for the bare repository.
    gitIn(gitDir, 'worktree', 'add', '--quiet', wt, 'muster/1');
    gitIn(gitDir, 'config', 'extensions.worktreeConfig', 'true');
    const before = spawnSync('git', ['status', '--short'], { cwd: wt, encoding: 'utf8' });
    expect(before.status, 'the old worktree is broken before the checkout').not.toBe(0);

    await work!.checkout({ repo: 'repo', task: 1, branch: 'muster/1', files: {} });
    const after = spawnSync('git', ['status', '--short'], { cwd: wt, encoding: 'utf8' });
    expect(after.status, after.stderr).toBe(0);
    expect(gitIn(wt, 'config', '--worktree', 'core.hooksPath').trim()).toBe(join(work!.dir, '.muster', 'hooks'));
  });

  it('leaves the muster shim agents run in place when a checkout finds it unchanged', async () => {
    await hostWithBranch();
    const first = await work!.checkout({ repo: 'repo', task: 1, branch: 'muster/1', files: {} });
    const { ino, mtimeMs } = statSync(first.muster);
    const text = readFileSync(first.muster, 'utf8');
    const again = await work!.checkout({ repo: 'repo', task: 1, branch: 'muster/1', files: {} });
    expect(again.muster).toBe(first.muster);
    expect(statSync(again.muster).ino).toBe(ino);
    expect(statSync(again.muster).mtimeMs, 'not rewritten while agents may run it').toBe(mtimeMs);
    expect(readFileSync(again.muster, 'utf8')).toBe(text);
    expect(statSync(again.muster).mode & 0o777).toBe(0o755);
  });

  it('places a path in a task only inside task-<n> of the repository: not task-3x, not a path that leaves it', () => {
    const w = new HostWork('/h/work', () => undefined);
    expect(w.taskAt('repo', '/h/work/repo/task-3')).toBe(3);
    expect(w.taskAt('repo', '/h/work/repo/task-3/src/deep')).toBe(3);
    expect(w.taskAt('repo', '/h/work/repo/task-3x')).toBeNull();
    expect(w.taskAt('repo', '/h/work/repo/task-')).toBeNull();
    expect(w.taskAt('repo', '/h/work/repo')).toBeNull();
    expect(w.taskAt('repo', '/h/work/repo/tasks/3')).toBeNull();
    expect(w.taskAt('repo', '/h/work/other/task-3')).toBeNull();
    expect(w.taskAt('repo', '/h/work/repo/task-3/../../other/task-4')).toBeNull();
    expect(w.taskAt('repo', '/elsewhere/repo/task-3')).toBeNull();
    expect(() => w.taskAt('../work', '/h/work/task-3')).toThrow(/not a repository key/);
  });
});
