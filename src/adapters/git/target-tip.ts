import { readRefCommit, resolveCommit } from './git.js';

/**
 * The commit a branch's tip points at, or null when the branch has none: read from the ref
 * files where they are plain files (a git process costs the supervisor a fork), else from git.
 * The one reader of the merge target's tip: status, the merge list, a landing and a task
 * start all read it here, so they cannot disagree on what the target is.
 */
export async function readBranchTip(mainRoot: string, commonDir: string, branch: string): Promise<string | null> {
  const ref = `refs/heads/${branch}`;
  return (await readRefCommit(commonDir, ref)) ?? (await resolveCommit(mainRoot, ref));
}
