import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, runGit } from './git.js';

const STAGE_NAMES = ['', 'base', 'ours', 'theirs'];

/**
 * The tree of a worktree's index, written from a copy of it (the agent's index file is only
 * read); null when it has none. An index with unmerged entries (a merge or rebase stopped on
 * a conflict) has no tree of its own: each stage is then kept beside its path, as
 * `<path>~base`, `<path>~ours` and `<path>~theirs`.
 */
export async function indexTreeOf(worktree: string, indexFile: string, dir: string): Promise<string | null> {
  const copy = join(dir, 'agent-index');
  try {
    await copyFile(indexFile, copy);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const written = await runGit(worktree, ['write-tree'], { env: { ...process.env, GIT_INDEX_FILE: copy } });
  if (written.exitCode === 0) return written.stdout.trim();
  const entries = await git(worktree, ['ls-files', '--stage', '-z'], { env: { ...process.env, GIT_INDEX_FILE: copy } });
  const lines = entries
    .split('\0')
    .filter(Boolean)
    .map((e) => {
      const tab = e.indexOf('\t');
      const [mode, sha, stage] = e.slice(0, tab).split(' ');
      const path = e.slice(tab + 1);
      return `${mode} ${sha}\t${stage === '0' ? path : `${path}~${STAGE_NAMES[Number(stage)]}`}`;
    });
  const env = { ...process.env, GIT_INDEX_FILE: join(dir, 'agent-index-stages') };
  await git(worktree, ['update-index', '--add', '-z', '--index-info'], { env, input: lines.map((l) => `${l}\0`).join('') });
  return (await git(worktree, ['write-tree'], { env })).trim();
}
