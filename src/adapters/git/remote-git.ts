import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { git } from './git.js';

/**
 * Git between the supervisor's repository and a host's, over ssh, always started here: the
 * supervisor pushes a task's branch there and fetches its work back, so the host never needs
 * to reach this machine (a laptop behind NAT supervises a build box). ssh is run as the rest
 * of muster runs it (MUSTER_SSH_COMMAND, else ssh), in batch mode: nothing may prompt.
 */
function sshEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const ssh = env.MUSTER_SSH_COMMAND || env.GIT_SSH_COMMAND || 'ssh';
  return { ...env, GIT_SSH_COMMAND: `${ssh} -o BatchMode=yes`, GIT_TERMINAL_PROMPT: '0' };
}

/** `dest:path` as git's scp-like syntax reads it; the path is absolute (the worker said where). */
export function remoteUrl(ssh: string, gitDir: string): string {
  return `${ssh}:${gitDir}`;
}

/** Puts the task's branch there as it is here (a new one, or a retry's): never forced, so work only there is never overwritten. */
export async function pushBranch(repo: string, url: string, branch: string): Promise<void> {
  await git(repo, ['push', '--quiet', url, `refs/heads/${branch}:refs/heads/${branch}`], { env: sshEnv() });
}

/**
 * Brings the task's work here: its branch, and the snapshot of everything in its worktree
 * under refs/muster/wip/<id>. The branch only moves forward: a commit made to it here (an
 * amend, a fix by hand) is never rewound by the host's copy; the fetch then fails and says so.
 */
export async function fetchWork(repo: string, url: string, branch: string, task: number): Promise<void> {
  await git(repo, ['fetch', '--quiet', '--no-tags', url, `refs/heads/${branch}:refs/heads/${branch}`, `+refs/muster/wip/${task}:refs/muster/wip/${task}`], {
    env: sshEnv(),
  });
}

/** The repository's name on hosts: its directory's name and a hash of its path (two checkouts of one project stay apart). */
export function repoKeyOnHosts(root: string): string {
  const name =
    basename(root)
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'repo';
  return `${name}-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
}
