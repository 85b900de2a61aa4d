import { readFile } from 'node:fs/promises';
import { git } from './git.js';

/**
 * Keeps under `<prefix><k>` the commits that only a worktree's HEAD reflog still reaches: an
 * agent that committed on a detached HEAD and then checked its branch out again left them
 * there, and `git worktree remove` deletes that reflog with the worktree. Only the tips are
 * kept (their ancestors come with them), numbered after what `prefix` already holds; a
 * commit any ref reaches needs nothing. Call it once the worktree's archive ref exists.
 * Returns the refs made.
 */
export async function keepReflogOnlyCommits(repo: string, worktree: string, prefix: string): Promise<string[]> {
  // Read as a file, not walked by git: one entry whose commit is gone would stop `git reflog`.
  const file = (await git(worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'logs/HEAD'])).trim();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    // No reflog (logs disabled, a fresh worktree) is nothing to keep; HEAD itself is in the archive.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  // Each line: <old> <new> <who> <when>\t<why>; both ids were HEAD at some point.
  const entries = [
    ...new Set(
      text
        .split('\n')
        .flatMap((l) => l.split(' ', 2))
        .filter((id) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id) && !/^0+$/.test(id)),
    ),
  ];
  if (!entries.length) return [];
  // Missing objects (a reflog of pruned commits) cannot be kept and must not fail the archive.
  const present = (await git(repo, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: `${entries.join('\n')}\n` }))
    .split('\n')
    .filter((l) => l.endsWith(' commit'))
    .map((l) => l.slice(0, l.indexOf(' ')));
  if (!present.length) return [];
  const unreachable = new Set((await git(repo, ['rev-list', ...present, '--not', '--all'])).split('\n').filter(Boolean));
  const lost = present.filter((c) => unreachable.has(c));
  if (!lost.length) return [];
  const tips = lost.length === 1 ? lost : (await git(repo, ['merge-base', '--independent', ...lost])).split('\n').filter(Boolean);
  const taken = (await git(repo, ['for-each-ref', '--format=%(refname)', prefix])).split('\n').filter(Boolean).length;
  const made: string[] = [];
  for (const [i, tip] of tips.entries()) {
    const ref = `${prefix}${taken + i + 1}`;
    await git(repo, ['update-ref', '-m', 'muster: a commit only the worktree reflog reached', ref, tip, '']);
    made.push(ref);
  }
  return made;
}
