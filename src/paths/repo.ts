import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** Where a repository lives, as seen from the worktree a command runs in. */
export interface RepoPaths {
  /** Top of the worktree the command runs in (main or linked). */
  worktreeRoot: string;
  /** That worktree's own git dir (`.git`, or `.git/worktrees/<name>` for a linked one). */
  gitDir: string;
  /** `git rev-parse --git-common-dir`, absolute: shared by every worktree. */
  commonDir: string;
  /** The main worktree's root. */
  mainRoot: string;
}

export class NotARepositoryError extends Error {
  constructor(readonly cwd: string) {
    super(`${cwd} is not inside a git repository. Run muster from a git checkout, or "git init" one first.`);
    this.name = 'NotARepositoryError';
  }
}

function readGitFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Locates the repository by reading `.git` the way git does, so that the CLI does not pay
 * for spawning git on every call. Unusual layouts (GIT_DIR, bare repositories, separate git
 * dirs without a `.git` parent) fall back to asking git itself.
 */
export function locateRepo(cwd: string = process.cwd()): RepoPaths {
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE || process.env.GIT_COMMON_DIR) return askGit(cwd);
  let dir = resolve(cwd);
  for (;;) {
    const dotGit = join(dir, '.git');
    if (existsSync(dotGit)) {
      const fast = fromDotGit(dir, dotGit);
      return fast ?? askGit(cwd);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new NotARepositoryError(cwd);
    dir = parent;
  }
}

function fromDotGit(worktreeRoot: string, dotGit: string): RepoPaths | undefined {
  let gitDir: string;
  if (statSync(dotGit).isDirectory()) {
    gitDir = dotGit;
  } else {
    const line = readGitFile(dotGit);
    const m = line?.match(/^gitdir:\s*(.+)$/);
    if (!m?.[1]) return undefined;
    gitDir = resolve(worktreeRoot, m[1]);
  }
  const common = readGitFile(join(gitDir, 'commondir'));
  const commonDir = common ? resolve(gitDir, common) : gitDir;
  if (basename(commonDir) !== '.git') return undefined;
  return { worktreeRoot, gitDir, commonDir, mainRoot: dirname(commonDir) };
}

function askGit(cwd: string): RepoPaths {
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  let out: string;
  try {
    out = execFileSync('git', ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    throw new NotARepositoryError(cwd);
  }
  const [worktreeRoot, gitDir, commonDir] = out.trim().split('\n');
  if (!worktreeRoot || !gitDir || !commonDir) throw new NotARepositoryError(cwd);
  let mainRoot = worktreeRoot;
  try {
    const list = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const first = list.split('\n').find((l) => l.startsWith('worktree '));
    if (first) mainRoot = first.slice('worktree '.length);
  } catch {
    // a repository without worktree support still has its own toplevel
  }
  return {
    worktreeRoot,
    gitDir: isAbsolute(gitDir) ? gitDir : resolve(cwd, gitDir),
    commonDir: isAbsolute(commonDir) ? commonDir : resolve(cwd, commonDir),
    mainRoot,
  };
}
