import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpawnHelper } from '../proc/spawn-helper.js';

/** A git command that failed: what ran, where, and what git said. */
export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly cwd: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`git ${args.join(' ')} failed in ${cwd}${exitCode === null ? '' : ` (exit ${exitCode})`}: ${stderr.trim() || 'no message'}`);
    this.name = 'GitError';
  }
}

export interface GitRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

let helper: SpawnHelper | null = null;
let holders = 0;

/**
 * Runs git from one long-lived small helper process instead of forking this one (see
 * SpawnHelper for the figures) until the returned release is called, once by each holder. The
 * supervisor holds it; a CLI command, short-lived and small, forks git itself (faster there).
 */
export function holdSpawnHelper(): () => void {
  holders++;
  helper ??= new SpawnHelper();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    helper?.stop();
    helper = null;
  };
}

const MAX_BUFFER = 256 * 1024 * 1024;

/**
 * Runs git with an argument vector and reports the exit code instead of throwing, for the
 * commands (merge-tree, diff --quiet) whose exit code is the answer.
 */
export async function runGit(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<GitRun> {
  const env = opts.env ?? process.env;
  if (helper) {
    let r;
    try {
      r = await helper.run('git', args, { cwd, env, maxBuffer: MAX_BUFFER, ...(opts.input === undefined ? {} : { input: opts.input }) });
    } catch (e) {
      throw new GitError(args, cwd, (e as Error).message, null);
    }
    if (r.code === null) throw new GitError(args, cwd, `${r.stderr}${r.error ?? ''}`, null);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
  }
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, env, maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      if (code === null) reject(new GitError(args, cwd, `${stderr}${(err as Error).message}`, null));
      else resolve({ stdout, stderr, exitCode: code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs git and returns stdout, or throws a GitError. */
export async function git(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  const r = await runGit(cwd, args, opts);
  if (r.exitCode !== 0) throw new GitError(args, cwd, r.stderr, r.exitCode);
  return r.stdout;
}

/** The branch checked out in a worktree, read from its HEAD without spawning git. */
export async function checkedOutBranch(gitDir: string): Promise<string | null> {
  try {
    const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
    const m = head.match(/^ref: refs\/heads\/(.+)$/);
    return m?.[1] ?? null;
  } catch {
    return null;
  }
}

export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  const r = await runGit(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/**
 * The commit a worktree's HEAD points at, read from its files (HEAD, the loose ref, or
 * packed-refs) instead of spawning git: the conflict scan asks this for every task every few
 * seconds, and each spawn stalls the supervisor for as long as fork takes. Null when the
 * layout is not the plain one; callers then ask git.
 */
export async function readHeadCommit(gitDir: string, commonDir: string): Promise<string | null> {
  try {
    const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (refs\/.+)$/.exec(head)?.[1];
    return ref ? await readRefCommit(commonDir, ref) : null;
  } catch {
    return null;
  }
}

/** Whether refs live in files git 2.39 can read back (not in a newer git's reftable). */
export function refsAreFiles(commonDir: string): boolean {
  return !existsSync(join(commonDir, 'reftable'));
}

/**
 * The commit a full ref name points at, read from the loose ref or packed-refs without
 * spawning git (a fork of the supervisor costs more than the read); null when it is neither
 * (a symbolic or unusual ref: ask git then).
 */
export async function readRefCommit(commonDir: string, ref: string): Promise<string | null> {
  if (!refsAreFiles(commonDir)) return null;
  try {
    const sha = (await readFile(join(commonDir, ref), 'utf8')).trim();
    if (/^[0-9a-f]{40}$/.test(sha)) return sha;
  } catch {
    // not loose: packed
  }
  const packed = await readFile(join(commonDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
  }
  return null;
}
