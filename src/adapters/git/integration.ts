import { existsSync, mkdirSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git, GitError, runGit } from './git.js';
import { listWorktrees, withWorktreeRegistry } from './worktrees.js';

/** `branchTip`: the commit of the branch that was merged, which may move on afterwards. */
export type IntegrateResult = { kind: 'integrated'; commit: string; branchTip: string } | { kind: 'integration-conflicted'; paths: string[] };

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
export async function integrate(
  wt: string,
  mainRoot: string,
  opts: { branch: string; onto: string; strategy: 'merge' | 'rebase' | 'squash'; message: string },
): Promise<IntegrateResult> {
  const id = await identityArgs(mainRoot);
  // A supervisor killed mid-merge or mid-rebase leaves that operation open here; nothing of it is kept.
  await runGit(wt, ['rebase', '--abort']);
  await runGit(wt, ['merge', '--abort']);
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
  return { kind: 'integrated', commit: (await git(wt, ['rev-parse', 'HEAD'])).trim(), branchTip };
}

/** The worktree where `branch` is checked out, if any. */
export async function checkoutOf(mainRoot: string, branch: string): Promise<string | null> {
  return (await listWorktrees(mainRoot)).find((w) => w.branch === branch)?.path ?? null;
}

/** Tracked files with uncommitted changes in a worktree. */
export async function dirtyPaths(worktree: string): Promise<string[]> {
  // No optional index refresh: muster must not hold the operator's index lock for a question.
  const out = await git(worktree, ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/** `git update-ref ref next expectedOld`: moves the ref only if it still points at `expectedOld`. */
export async function compareAndSwap(
  repo: string,
  ref: string,
  next: string,
  expectedOld: string,
  reason: string,
): Promise<{ ok: true } | { ok: false; actual: string | null; stderr: string }> {
  const r = await runGit(repo, ['update-ref', '-m', reason, ref, next, expectedOld]);
  if (r.exitCode === 0) return { ok: true };
  const actual = await runGit(repo, ['rev-parse', '--verify', '--quiet', ref]);
  return { ok: false, actual: actual.exitCode === 0 ? actual.stdout.trim() : null, stderr: r.stderr };
}

/**
 * What stands in the way of bringing a checkout from `from` to `to`: files the landing adds
 * where the checkout has an untracked or ignored file or directory (or a file where the
 * landing needs a directory), which `read-tree -m -u` would refuse to overwrite; and, as the
 * last word, git's own refusal of a dry run of that fast-forward.
 */
export async function checkoutBlockers(worktree: string, from: string, to: string): Promise<{ inTheWay: string[]; refusal: string | null }> {
  const diff = (await git(worktree, ['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to])).split('\0');
  const added: string[] = [];
  const removed = new Set<string>();
  for (let i = 0; i + 1 < diff.length; i += 2) {
    if (diff[i] === 'A') added.push(diff[i + 1]!);
    else if (diff[i] === 'D') removed.add(diff[i + 1]!);
  }
  const inTheWay = new Set<string>();
  for (const path of added) {
    const parts = path.split('/');
    for (let k = 1; k < parts.length; k++) {
      const dir = parts.slice(0, k).join('/');
      const st = await lstat(join(worktree, dir)).catch(() => null);
      if (st && !st.isDirectory() && !removed.has(dir)) inTheWay.add(dir);
    }
    if (await lstat(join(worktree, path)).catch(() => null)) inTheWay.add(path);
  }
  if (inTheWay.size) return { inTheWay: [...inTheWay].sort(), refusal: null };
  // The dry run takes the index lock too: another git holding it for a moment is no refusal.
  const refusal = await retryWhileIndexLocked(() => git(worktree, ['read-tree', '-n', '-m', '-u', from, to])).then(
    () => null,
    (e: unknown) =>
      (e instanceof GitError
        ? e.stderr
            .trim()
            .replace(/^(error|fatal): /gm, '')
            .split('\n')[0]
        : null) || (e as Error).message,
  );
  return { inTheWay: [], refusal };
}

/**
 * Brings a checkout's index and files from `from` to `to` (a fast-forward after its branch
 * moved), refusing to overwrite local changes. Safe to run again: an index already at `to`
 * is left alone, so a restart can finish a fast-forward the crash interrupted. An index at
 * neither (the operator staged something meanwhile) is refused with the reason.
 */
export async function syncCheckout(worktree: string, from: string, to: string): Promise<'synced' | 'already'> {
  if ((await runGit(worktree, ['diff-index', '--cached', '--quiet', to, '--'])).exitCode === 0) return 'already';
  if ((await runGit(worktree, ['diff-index', '--cached', '--quiet', from, '--'])).exitCode !== 0) {
    throw new Error(`the index of ${worktree} is at neither ${from.slice(0, 7)} nor ${to.slice(0, 7)}; something was staged there meanwhile`);
  }
  await retryWhileIndexLocked(() => git(worktree, ['read-tree', '-m', '-u', from, to]));
  return 'synced';
}

/**
 * Runs a git command that takes a checkout's index lock again while another git (an editor's
 * `git status`, the operator's shell) holds that lock: a few tries over about five seconds.
 * git fails such a command before touching anything, so trying again is safe.
 */
async function retryWhileIndexLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 8 || !/index\.lock': File exists/.test((e as Error).message)) throw e;
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
    }
  }
}
