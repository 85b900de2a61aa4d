import { git, runGit } from './git.js';

/** How many commits `to` has that `from` does not (`git rev-list --count from..to`); 0 when git cannot say. */
export async function countCommits(cwd: string, from: string, to: string): Promise<number> {
  const r = await runGit(cwd, ['rev-list', '--count', `${from}..${to}`]);
  return r.exitCode === 0 ? Number(r.stdout.trim()) || 0 : 0;
}

/** Whether `ancestor` is reachable from `descendant`. */
export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await runGit(cwd, ['merge-base', '--is-ancestor', ancestor, descendant])).exitCode === 0;
}

/** Points `ref` at `commit`, with `message` in the reflog; throws a GitError when git refuses. */
export async function updateRef(cwd: string, ref: string, commit: string, message: string): Promise<void> {
  await git(cwd, ['update-ref', '-m', message, ref, commit]);
}

/** The full names of the refs under `prefix` that point at `commit`. */
export async function refsPointingAt(cwd: string, commit: string, prefix: string): Promise<string[]> {
  const out = (await runGit(cwd, ['for-each-ref', '--format=%(refname)', '--points-at', commit, prefix])).stdout;
  return out.split('\n').filter(Boolean);
}

/** The commit HEAD of a worktree points at, asked of git (for the layouts the ref files cannot answer). */
export async function headCommitOf(worktree: string): Promise<string> {
  return (await runGit(worktree, ['rev-parse', 'HEAD'])).stdout.trim();
}

/** How many loose objects a repository (or the object directory `env` points at) holds. */
export async function looseObjectCount(cwd: string, env?: NodeJS.ProcessEnv): Promise<number> {
  const out = (await runGit(cwd, ['count-objects'], env ? { env } : {})).stdout;
  return Number(/^(\d+) objects/.exec(out)?.[1] ?? 0);
}
