import { existsSync } from 'node:fs';
import { git, readRefCommit, refsAreFiles, runGit } from './git.js';
import type { KeptWork } from './snapshot.js';

export interface WorktreeEntry {
  path: string;
  head: string | null;
  branch: string | null;
  locked: boolean;
  prunable: boolean;
  bare: boolean;
}

const registryQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` once every earlier worktree-registry operation on this repository has ended.
 * Two `git worktree add`s at once read each other's half-written registration and fail
 * ("failed to read .git/worktrees/task-1/commondir"); list and prune read it too. The
 * supervisor is the only process that adds task worktrees, so an in-process queue suffices.
 */
export function withWorktreeRegistry<T>(mainRoot: string, fn: () => Promise<T>): Promise<T> {
  const run = (registryQueues.get(mainRoot) ?? Promise.resolve()).then(fn);
  registryQueues.set(
    mainRoot,
    run.catch(() => undefined),
  );
  return run;
}

/** `git worktree list --porcelain`, parsed. The first entry is the main worktree. */
export async function listWorktrees(mainRoot: string): Promise<WorktreeEntry[]> {
  const out = await withWorktreeRegistry(mainRoot, () => git(mainRoot, ['worktree', 'list', '--porcelain']));
  const entries: WorktreeEntry[] = [];
  let cur: WorktreeEntry | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      cur = { path: line.slice(9), head: null, branch: null, locked: false, prunable: false, bare: false };
      entries.push(cur);
    } else if (!cur) continue;
    else if (line.startsWith('HEAD ')) cur.head = line.slice(5);
    else if (line.startsWith('branch ')) cur.branch = line.slice(7).replace(/^refs\/heads\//, '');
    else if (line === 'locked' || line.startsWith('locked ')) cur.locked = true;
    else if (line === 'prunable' || line.startsWith('prunable ')) cur.prunable = true;
    else if (line === 'bare') cur.bare = true;
  }
  return entries;
}

export async function branchExists(mainRoot: string, branch: string, commonDir?: string): Promise<boolean> {
  // Read from the ref files where they are files: a git process costs the supervisor more.
  if (commonDir && refsAreFiles(commonDir)) return (await readRefCommit(commonDir, `refs/heads/${branch}`)) !== null;
  return (await runGit(mainRoot, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])).exitCode === 0;
}

/**
 * Creates a task's worktree, locked so `git worktree prune` never drops it, on a new branch
 * from `base`, or on the existing branch when the task ran before (retry after gc).
 * Returns whether the branch is new.
 */
export async function addWorktree(
  mainRoot: string,
  path: string,
  branch: string,
  base: string,
  reason: string,
  commonDir?: string,
): Promise<{ newBranch: boolean }> {
  const exists = await branchExists(mainRoot, branch, commonDir);
  const args = ['worktree', 'add', '--lock', '--reason', reason];
  await withWorktreeRegistry(mainRoot, () => git(mainRoot, exists ? [...args, path, branch] : [...args, '-b', branch, path, base]));
  return { newBranch: !exists };
}

/**
 * Removes a worktree registration and directory, given the proof from `archiveTaskWork` that
 * everything in it is kept under a ref. A directory that appeared after an archive made
 * without one is not removed: its content was never archived.
 */
export async function removeWorktree(mainRoot: string, kept: KeptWork): Promise<void> {
  const path = kept.path;
  if (!kept.present && existsSync(path)) throw new Error(`${path} appeared after its work was archived; archive it again before removing it`);
  await withWorktreeRegistry(mainRoot, async () => {
    await runGit(mainRoot, ['worktree', 'unlock', path]);
    if (existsSync(path)) await git(mainRoot, ['worktree', 'remove', '--force', '--force', path]);
    await git(mainRoot, ['worktree', 'prune']);
  });
}

/** Drops the registrations of worktrees whose directory is gone; `bestEffort` does not throw when git fails. */
export async function pruneWorktrees(mainRoot: string, opts: { bestEffort?: boolean } = {}): Promise<void> {
  await withWorktreeRegistry(mainRoot, async () => {
    if (opts.bestEffort) await runGit(mainRoot, ['worktree', 'prune']);
    else await git(mainRoot, ['worktree', 'prune']);
  });
}

/** Unlocks a worktree's registration so a prune may drop it (an unlocked one is fine). */
export async function unlockWorktree(mainRoot: string, path: string): Promise<void> {
  await runGit(mainRoot, ['worktree', 'unlock', path]);
}
