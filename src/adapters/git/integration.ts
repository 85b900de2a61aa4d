import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { git, runGit } from './git.js';
import { listWorktrees, withWorktreeRegistry } from './worktrees.js';

export type IntegrateResult = { kind: 'integrated'; commit: string } | { kind: 'integration-conflicted'; paths: string[] };

/** Merge commits need an identity; the repository's own is used when it has one. */
async function identityArgs(repo: string): Promise<string[]> {
  const name = (await runGit(repo, ['config', 'user.name'])).stdout.trim();
  const email = (await runGit(repo, ['config', 'user.email'])).stdout.trim();
  return [...(name ? [] : ['-c', 'user.name=muster']), ...(email ? [] : ['-c', 'user.email=muster@localhost'])];
}

/** The detached worktree where merges are made and gates run, never the operator's checkout. */
export async function ensureIntegrationWorktree(mainRoot: string, path: string, at: string): Promise<void> {
  const registered = (await listWorktrees(mainRoot)).some((w) => w.path === path);
  if (registered && existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  await withWorktreeRegistry(mainRoot, async () => {
    if (registered) await git(mainRoot, ['worktree', 'prune']);
    await git(mainRoot, ['worktree', 'add', '--detach', '--force', path, at]);
  });
}

async function conflictedPaths(wt: string): Promise<string[]> {
  const r = await runGit(wt, ['diff', '--name-only', '--diff-filter=U']);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Puts `branch` onto `onto` in the integration worktree with the configured strategy and
 * returns the resulting commit, or the conflicting paths (after aborting, so the worktree is
 * clean for the next attempt).
 */
export async function integrate(wt: string, mainRoot: string, opts: { branch: string; onto: string; strategy: 'merge' | 'rebase' | 'squash'; message: string }): Promise<IntegrateResult> {
  const id = await identityArgs(mainRoot);
  await git(wt, ['checkout', '--detach', '--force', opts.onto]);
  await git(wt, ['reset', '--hard', opts.onto]);
  await git(wt, ['clean', '-fd']);
  const branchTip = (await git(wt, ['rev-parse', `refs/heads/${opts.branch}^{commit}`])).trim();
  if (opts.strategy === 'merge') {
    const r = await runGit(wt, [...id, 'merge', '--no-ff', '--no-edit', '-m', opts.message, branchTip]);
    if (r.exitCode !== 0) {
      const paths = await conflictedPaths(wt);
      await runGit(wt, ['merge', '--abort']);
      if (!paths.length) throw new Error(`git merge failed: ${r.stderr.trim() || r.stdout.trim()}`);
      return { kind: 'integration-conflicted', paths };
    }
  } else if (opts.strategy === 'squash') {
    const r = await runGit(wt, [...id, 'merge', '--squash', branchTip]);
    if (r.exitCode !== 0) {
      const paths = await conflictedPaths(wt);
      await git(wt, ['reset', '--hard', opts.onto]);
      if (!paths.length) throw new Error(`git merge --squash failed: ${r.stderr.trim() || r.stdout.trim()}`);
      return { kind: 'integration-conflicted', paths };
    }
    const staged = await runGit(wt, ['diff', '--cached', '--quiet']);
    if (staged.exitCode !== 0) await git(wt, [...id, 'commit', '--no-verify', '-m', opts.message]);
  } else {
    await git(wt, ['checkout', '--detach', '--force', branchTip]);
    const r = await runGit(wt, [...id, 'rebase', opts.onto]);
    if (r.exitCode !== 0) {
      const paths = await conflictedPaths(wt);
      await runGit(wt, ['rebase', '--abort']);
      if (!paths.length) throw new Error(`git rebase failed: ${r.stderr.trim() || r.stdout.trim()}`);
      return { kind: 'integration-conflicted', paths };
    }
  }
  return { kind: 'integrated', commit: (await git(wt, ['rev-parse', 'HEAD'])).trim() };
}

/** The worktree where `branch` is checked out, if any. */
export async function checkoutOf(mainRoot: string, branch: string): Promise<string | null> {
  return (await listWorktrees(mainRoot)).find((w) => w.branch === branch)?.path ?? null;
}

/** Tracked files with uncommitted changes in a worktree. */
export async function dirtyPaths(worktree: string): Promise<string[]> {
  const out = await git(worktree, ['status', '--porcelain', '--untracked-files=no']);
  return out.split('\n').filter(Boolean).map((l) => l.slice(3));
}

/** `git update-ref ref next expectedOld`: moves the ref only if it still points at `expectedOld`. */
export async function compareAndSwap(repo: string, ref: string, next: string, expectedOld: string, reason: string): Promise<{ ok: true } | { ok: false; actual: string | null; stderr: string }> {
  const r = await runGit(repo, ['update-ref', '-m', reason, ref, next, expectedOld]);
  if (r.exitCode === 0) return { ok: true };
  const actual = await runGit(repo, ['rev-parse', '--verify', '--quiet', ref]);
  return { ok: false, actual: actual.exitCode === 0 ? actual.stdout.trim() : null, stderr: r.stderr };
}

/** Brings a checkout's index and files from `from` to `to` (a fast-forward), refusing to overwrite local changes. */
export async function syncCheckout(worktree: string, from: string, to: string): Promise<void> {
  await git(worktree, ['read-tree', '-m', '-u', from, to]);
}
