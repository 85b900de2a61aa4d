import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, runGit } from './git.js';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'muster',
  GIT_AUTHOR_EMAIL: 'muster@localhost',
  GIT_COMMITTER_NAME: 'muster',
  GIT_COMMITTER_EMAIL: 'muster@localhost',
};

/**
 * A commit of everything in a worktree, uncommitted and untracked files included (ignored
 * files excluded), whose parent is the worktree's HEAD. Made through a temporary index, so
 * the agent's own index and files are never touched. Returns the HEAD itself when the
 * worktree holds nothing beyond it.
 */
export async function snapshotWorktree(worktree: string, message: string): Promise<{ commit: string; head: string; dirty: boolean }> {
  const head = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
  const dir = await mkdtemp(join(tmpdir(), 'muster-index-'));
  const env = { ...process.env, ...IDENTITY, GIT_INDEX_FILE: join(dir, 'index') };
  try {
    await git(worktree, ['read-tree', 'HEAD'], { env });
    await git(worktree, ['add', '-A', '--', '.'], { env });
    const tree = (await git(worktree, ['write-tree'], { env })).trim();
    const headTree = (await git(worktree, ['rev-parse', 'HEAD^{tree}'])).trim();
    if (tree === headTree) return { commit: head, head, dirty: false };
    const commit = (await git(worktree, ['commit-tree', tree, '-p', head, '-m', message], { env })).trim();
    return { commit, head, dirty: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Refs under `refs/muster/archive/task-<id>/`, oldest first. */
export async function archiveRefs(repo: string, taskId: number): Promise<string[]> {
  const r = await runGit(repo, ['for-each-ref', '--format=%(refname)', `refs/muster/archive/task-${taskId}/`]);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .sort((a, b) => Number(a.split('/').pop()) - Number(b.split('/').pop()));
}

/**
 * Keeps a task's work under `refs/muster/archive/task-<id>/<n>`: a snapshot of the worktree
 * when it exists (its parent chain holds every commit of the branch), else the branch tip.
 */
export async function archiveTaskWork(repo: string, taskId: number, source: { worktree?: string | null; branch?: string | null }, why: string): Promise<{ ref: string; commit: string } | null> {
  let commit: string | null = null;
  if (source.worktree) {
    try {
      commit = (await snapshotWorktree(source.worktree, `muster: archive of task #${taskId} (${why})`)).commit;
    } catch {
      commit = null; // not a usable worktree any more; fall back to the branch
    }
  }
  if (!commit && source.branch) {
    const r = await runGit(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${source.branch}^{commit}`]);
    if (r.exitCode === 0) commit = r.stdout.trim();
  }
  if (!commit) return null;
  const existing = await archiveRefs(repo, taskId);
  const newest = existing[existing.length - 1];
  if (newest && (await git(repo, ['rev-parse', newest])).trim() === commit) return { ref: newest, commit };
  const last = newest ? Number(newest.split('/').pop()) : 0;
  const ref = `refs/muster/archive/task-${taskId}/${last + 1}`;
  await git(repo, ['update-ref', '-m', `muster: ${why}`, ref, commit, '']);
  return { ref, commit };
}
