import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempRepo {
  /** The main worktree. */
  dir: string;
  /** The temp directory holding it (worktrees go beside the repo, inside it). */
  root: string;
  git(...args: string[]): string;
  write(path: string, content: string): void;
  commitAll(message: string): string;
  cleanup(): void;
}

/** A real git repository in a temp dir with a local identity and one commit on `main`. */
export function createTempRepo(name = 'repo'): TempRepo {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'muster-test-')));
  const dir = join(root, name);
  mkdirSync(dir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@muster.invalid');
  git('config', 'user.name', 'muster test');
  git('config', 'commit.gpgsign', 'false');
  writeFileSync(join(dir, 'README.md'), '# test repo\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return {
    dir,
    root,
    git,
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    commitAll(message) {
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
