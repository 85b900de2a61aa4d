import { git, runGit } from './git.js';

/** The paths `git status --porcelain` lists in a worktree: changed, staged or untracked. */
export async function uncommittedPaths(worktree: string): Promise<string[]> {
  const status = (await runGit(worktree, ['status', '--porcelain'])).stdout;
  return status
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/** Paths a worktree changes against `base`, committed or not, untracked included; null when git cannot diff. */
export async function worktreeChangedPaths(worktree: string, base: string): Promise<string[] | null> {
  const diff = await runGit(worktree, ['diff', '--name-only', '--no-renames', base]);
  const untracked = await runGit(worktree, ['ls-files', '--others', '--exclude-standard']);
  if (diff.exitCode !== 0) return null;
  return [...diff.stdout.split('\n'), ...untracked.stdout.split('\n')].filter(Boolean);
}

/** Paths a branch changes since its merge base with `base`; null when git cannot diff. */
export async function branchChangedPaths(repo: string, base: string, branch: string): Promise<string[] | null> {
  const r = await runGit(repo, ['diff', '--name-only', '--no-renames', `${base}...${branch}`]);
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : null;
}

/** The change a branch brings against `target` from their merge base: a stat, then the patch, uncoloured. */
export async function branchPatch(repo: string, target: string, branch: string): Promise<string> {
  return (await runGit(repo, ['diff', '--stat', '--patch', '--no-color', `${target}...${branch}`])).stdout;
}

/** What a worktree holds since `base`, for the agent that takes a task over: its commits, a diff stat, untracked files. */
export async function workSince(worktree: string, base: string): Promise<{ commits: string; diffStat: string }> {
  const commits = (await runGit(worktree, ['log', '--oneline', '--no-decorate', `${base}..HEAD`])).stdout;
  const committed = (await runGit(worktree, ['diff', '--stat', base])).stdout;
  const untracked = (await git(worktree, ['ls-files', '--others', '--exclude-standard'])).trim();
  return { commits, diffStat: `${committed}${untracked ? `\nuntracked:\n${untracked}\n` : ''}` };
}
