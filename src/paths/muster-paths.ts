import { lstatSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Loaded only for the rare long repository path: every command pays for what it imports.
const lazy = createRequire(import.meta.url);
import type { RepoPaths } from './repo.js';

/** Every file muster keeps for one repository. */
export interface MusterPaths {
  repo: RepoPaths;
  stateDir: string;
  storeFile: string;
  eventsFile: string;
  lockFile: string;
  socketPath: string;
  /** The terminal worker's socket (`muster worker`, which owns the agents' PTYs). */
  workerSocketPath: string;
  daemonLog: string;
  workerLog: string;
  tasksDir: string;
  configFile: string;
}

/** Unix socket paths longer than this do not fit `sun_path` on every platform. */
const SOCKET_PATH_LIMIT = 100;

export function musterPaths(repo: RepoPaths): MusterPaths {
  const stateDir = join(repo.commonDir, 'muster');
  return {
    repo,
    stateDir,
    storeFile: join(stateDir, 'state.json'),
    eventsFile: join(stateDir, 'events.jsonl'),
    lockFile: join(stateDir, 'daemon.lock'),
    socketPath: socketPathFor(stateDir),
    workerSocketPath: socketPathFor(stateDir, 'worker'),
    daemonLog: join(stateDir, 'daemon.log'),
    workerLog: join(stateDir, 'worker.log'),
    tasksDir: join(stateDir, 'tasks'),
    configFile: join(repo.mainRoot, '.muster', 'config.yaml'),
  };
}

export function socketPathFor(stateDir: string, name: 'daemon' | 'worker' = 'daemon'): string {
  const preferred = join(stateDir, `${name}.sock`);
  if (Buffer.byteLength(preferred) < SOCKET_PATH_LIMIT) return preferred;
  const { createHash } = lazy('node:crypto') as typeof import('node:crypto');
  return join(shortRuntimeDir(), `${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}${name === 'daemon' ? '' : `-${name}`}.sock`);
}

/**
 * The file that says a repository's supervisor socket is served by a host's worker for a
 * supervisor on another machine (a task's worktree on a host): nothing may start a supervisor there.
 */
export function hostServedMarker(stateDir: string): string {
  return join(stateDir, 'served-by-host-worker');
}

/** A per-user directory for sockets whose natural path is too long. */
export function shortRuntimeDir(): string {
  const { tmpdir, userInfo } = lazy('node:os') as typeof import('node:os');
  const base = process.env.XDG_RUNTIME_DIR || tmpdir();
  return join(base, `muster-${userInfo().uid}`);
}

/** A socket directory muster will not use: another user could replace the socket in it. */
export class UnsafeSocketDirError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeSocketDirError';
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/**
 * Makes sure the directory of `socketPath` is one only this user controls, creating it when
 * `create` is set. The repository's own state directory is the user's already; the shared
 * fallback under /tmp (or $XDG_RUNTIME_DIR) is not: anyone can create `muster-<uid>` there
 * first, so it is made with mkdir(0700) and then checked with lstat — a real directory, not a
 * link, owned by this uid, mode 0700 — and refused otherwise. Throws UnsafeSocketDirError.
 */
export function prepareSocketDir(socketPath: string, create: boolean): void {
  const dir = dirname(socketPath);
  // Only socketPathFor names sockets: `daemon.sock` in the state directory, else the fallback.
  if (socketPath.endsWith('/daemon.sock') || socketPath.endsWith('/worker.sock')) {
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  if (create) {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    // Not there yet: whoever starts the supervisor creates it (and checks it again).
    if (!create && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const me = process.getuid?.() ?? st.uid;
  const why =
    'muster keeps its socket only in a directory that is yours alone (mode 0700), since whoever controls the directory can take every request, prompts included';
  const hint = `(the socket is not in the repository because the repository's path is too long for a Unix socket)`;
  if (st.isSymbolicLink()) {
    throw new UnsafeSocketDirError(
      dir,
      `The socket directory ${dir} is a symbolic link; ${why}. Remove the link ("rm ${dir}") and run the command again ${hint}.`,
    );
  }
  if (!st.isDirectory()) {
    throw new UnsafeSocketDirError(dir, `The socket directory ${dir} is not a directory; ${why}. Remove it and run the command again ${hint}.`);
  }
  if (st.uid !== me) {
    throw new UnsafeSocketDirError(
      dir,
      `The socket directory ${dir} belongs to uid ${st.uid} (mode ${octal(st.mode)}), not to you (uid ${me}); ${why}. Ask its owner or an administrator to remove it, or set XDG_RUNTIME_DIR to a directory only you can write ${hint}.`,
    );
  }
  if ((st.mode & 0o777) !== 0o700) {
    throw new UnsafeSocketDirError(
      dir,
      `The socket directory ${dir} has mode ${octal(st.mode)}, so others can change what is in it; ${why}. Check that nothing in it is foreign, then "chmod 700 ${dir}" (or remove it) and run the command again ${hint}.`,
    );
  }
}
