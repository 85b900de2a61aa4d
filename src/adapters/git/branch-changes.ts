import { existsSync } from 'node:fs';
import { runGit } from './git.js';

/** What a task's branch made since `from`, and what its worktree holds uncommitted. */
export interface BranchChanges {
  commits: { sha: string; subject: string }[];
  files: { path: string; added: number | null; removed: number | null }[];
  uncommitted: string[];
}

const lines = (out: string): string[] => out.split('\n').filter(Boolean);

/**
 * The commits of `from..branch`, the files of `from...branch` (binary ones without counts) and
 * the worktree's uncommitted paths; empty where the branch, `from` or the worktree is missing.
 */
export async function branchChanges(repo: string, from: string | null, branch: string | null, worktree: string | null): Promise<BranchChanges> {
  const log = branch && from ? (await runGit(repo, ['log', '--no-decorate', '--format=%h%x09%s', `${from}..${branch}`])).stdout : '';
  const numstat = branch && from ? (await runGit(repo, ['diff', '--numstat', `${from}...${branch}`])).stdout : '';
  const status = worktree && existsSync(worktree) ? (await runGit(worktree, ['status', '--porcelain'])).stdout : '';
  return {
    commits: lines(log).map((l) => ({ sha: l.split('\t')[0] ?? '', subject: l.split('\t').slice(1).join('\t') })),
    files: lines(numstat).map((l) => {
      const [a, r, ...path] = l.split('\t');
      return { path: path.join('\t'), added: a === '-' ? null : Number(a), removed: r === '-' ? null : Number(r) };
    }),
    uncommitted: lines(status).map((l) => l.slice(3)),
  };
}
