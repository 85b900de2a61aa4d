import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileChange } from '../../core/conflict-overlap.js';
import { git, runGit } from './git.js';

const IDENTITY = { GIT_AUTHOR_NAME: 'muster', GIT_AUTHOR_EMAIL: 'muster@localhost', GIT_COMMITTER_NAME: 'muster', GIT_COMMITTER_EMAIL: 'muster@localhost' };

/**
 * A scratch object directory for the scan: snapshots and merge-tree results are written there,
 * with the repository's objects as alternates, so conflict scans never leave loose objects in
 * the repository. Throw the directory away and nothing of the scans remains.
 */
export class ScanScratch {
  constructor(
    readonly dir: string,
    private readonly repoObjects: string,
  ) {}

  get objects(): string {
    return join(this.dir, 'objects');
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...IDENTITY, GIT_OBJECT_DIRECTORY: this.objects, GIT_ALTERNATE_OBJECT_DIRECTORIES: this.repoObjects, ...extra };
  }

  async reset(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(join(this.objects, 'info'), { recursive: true });
  }
}

/**
 * A commit of a worktree as it is now — uncommitted and untracked files included — made
 * through a private copy of its index (so `git add -A` re-hashes only what changed) and
 * written to the scratch objects. The agent's index and files are never touched. Untracked
 * repositories nested in the worktree are left out: they land as nothing (without a commit
 * `git add` refuses them outright) and would only make the scan fail.
 */
export async function scanSnapshot(
  worktree: string,
  gitDir: string,
  scratch: ScanScratch,
  indexFile: string,
  knownHead?: string,
): Promise<{ head: string; commit: string }> {
  // The scanner has just read HEAD from the worktree's files: one git process fewer per task.
  const head = knownHead ?? (await git(worktree, ['rev-parse', 'HEAD'])).trim();
  try {
    await copyFile(join(gitDir, 'index'), indexFile);
  } catch {
    await rm(indexFile, { force: true });
  }
  const env = scratch.env({ GIT_INDEX_FILE: indexFile });
  // git lists an untracked nested repository as one entry with a trailing slash.
  const untracked = await git(worktree, ['ls-files', '--others', '--exclude-standard', '-z'], { env });
  const nested = untracked.split('\0').filter((p) => p.endsWith('/'));
  const specs = ['.', ...nested.map((p) => `:(exclude,literal)${p.slice(0, -1)}`)];
  await git(worktree, ['add', '-A', '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: `${specs.join('\0')}\0` });
  const tree = (await git(worktree, ['write-tree'], { env })).trim();
  const headTree = (await git(worktree, ['rev-parse', `${head}^{tree}`])).trim();
  if (tree === headTree) return { head, commit: head };
  const commit = (await git(worktree, ['commit-tree', tree, '-p', head, '-m', 'muster scan snapshot'], { env })).trim();
  return { head, commit };
}

/** Changes from `base` to `commit`, renames detected, as the conflict core reads them. */
export async function changesBetween(repo: string, base: string, commit: string, scratch: ScanScratch): Promise<FileChange[]> {
  const out = await git(repo, ['diff-tree', '-r', '-M', '--no-commit-id', '--name-status', '-z', base, commit], { env: scratch.env() });
  const f = out.split('\0');
  const changes: FileChange[] = [];
  for (let i = 0; i < f.length; ) {
    const status = f[i++];
    if (!status) break;
    const kind = status[0] as FileChange['status'] | 'C' | 'U' | 'X';
    if (kind === 'R' || kind === 'C') {
      const oldPath = f[i++] ?? '';
      const path = f[i++] ?? '';
      changes.push(kind === 'R' ? { status: 'R', path, oldPath } : { status: 'A', path });
    } else {
      const path = f[i++] ?? '';
      changes.push({ status: kind === 'U' || kind === 'X' ? 'M' : kind, path });
    }
  }
  return changes;
}

/** `git merge-tree --write-tree`: clean or not by its exit code; the conflicting paths as listed. */
export async function mergeTree(repo: string, a: string, b: string, scratch: ScanScratch): Promise<{ clean: boolean; paths: string[] }> {
  const r = await runGit(repo, ['merge-tree', '--write-tree', '--name-only', '-z', '--allow-unrelated-histories', a, b], { env: scratch.env() });
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`git merge-tree failed (${r.exitCode}): ${r.stderr.trim()}`);
  // Output: the tree, then (on conflict) the conflicted paths, then an empty field before messages.
  const fields = r.stdout.split('\0');
  const paths: string[] = [];
  for (const p of fields.slice(1)) {
    if (p === '') break;
    paths.push(p.replace(/\n$/, ''));
  }
  return { clean: r.exitCode === 0, paths: [...new Set(paths)] };
}

/** Paths the target changed since `base`. */
export async function changedSince(repo: string, base: string, tip: string): Promise<string[]> {
  if (base === tip) return [];
  const out = await git(repo, ['diff', '--name-only', '--no-renames', '-z', base, tip]);
  return out.split('\0').filter(Boolean);
}

export async function dirSize(dir: string): Promise<number> {
  try {
    return (await stat(dir)).size;
  } catch {
    return 0;
  }
}
