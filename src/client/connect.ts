import { createRequire } from 'node:module';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { EXIT, MusterError } from '../protocol/errors.js';
import type { Caller } from '../protocol/methods.js';
import { hostServedMarker, musterPaths, prepareSocketDir, UnsafeSocketDirError, type MusterPaths } from '../paths/muster-paths.js';
import { musterBin } from '../paths/package-root.js';
import { locateRepo } from '../paths/repo.js';
import { MusterClient } from './client.js';
import { NotRunningError } from './not-running.js';
import { lockOwnerPid } from './owner-pid.js';
import { connectRemote } from './remote-connect.js';
import type { RemoteTarget } from './remote-target.js';

export interface ConnectOptions {
  cwd?: string;
  /** Start the supervisor when none is running (default true). */
  autostart?: boolean;
  timeoutMs?: number;
  /** A repository on another machine (`--host`); default: the CLI's `--host`, else local. */
  remote?: RemoteTarget | null;
}

let cliRemote: RemoteTarget | null = null;

/** Set once by the CLI from the global `--host`: every connect of this process goes there. */
export function setRemoteTarget(target: RemoteTarget | null): void {
  cliRemote = target;
}

export function callerFor(paths: MusterPaths, cwd: string): Caller {
  const env = Number(process.env.MUSTER_TASK_ID);
  return {
    cwd,
    worktreeRoot: paths.repo.worktreeRoot,
    envTaskId: Number.isInteger(env) && env > 0 ? env : null,
    pid: process.pid,
    ppid: process.ppid,
    ownerPid: lockOwnerPid(),
  };
}

export function pathsFor(cwd: string): MusterPaths {
  try {
    return musterPaths(locateRepo(cwd));
  } catch (e) {
    throw new MusterError('bad-input', (e as Error).message);
  }
}

export function isNotListening(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/** Connects to the repository's supervisor, starting it in the background if needed. */
export async function connect(opts: ConnectOptions = {}): Promise<{ client: MusterClient; paths: MusterPaths | null }> {
  const remote = opts.remote === undefined ? cliRemote : opts.remote;
  // Nothing about this machine (cwd, worktree, MUSTER_TASK_ID) says who is asking over there.
  if (remote) return { client: await connectRemote(remote, { start: opts.autostart !== false }), paths: null };
  const cwd = opts.cwd ?? process.cwd();
  const paths = pathsFor(cwd);
  try {
    prepareSocketDir(paths.socketPath, false);
  } catch (e) {
    if (e instanceof UnsafeSocketDirError) throw new MusterError('failure', e.message);
    throw e;
  }
  const caller = callerFor(paths, cwd);
  try {
    return { client: await openClient(paths.socketPath, caller), paths };
  } catch (e) {
    if (isNotListening(e) && existsSync(hostServedMarker(paths.stateDir))) {
      throw new MusterError(
        'failure',
        `This is a task's worktree on a host: its supervisor runs on another machine and is reached through this host's muster worker, which does not answer on ${paths.socketPath} now. Retry once the supervisor has reconnected to this host; nothing is started here.`,
      );
    }
    if (!isNotListening(e) || opts.autostart === false) {
      if (isNotListening(e)) throw new NotRunningError();
      throw e;
    }
  }
  await startInBackground(paths, opts.timeoutMs ?? 15_000);
  return { client: await openClient(paths.socketPath, caller), paths };
}

/** Opens the socket; a failure other than "nobody listens" becomes a message, not a stack trace. */
async function openClient(socketPath: string, caller: Caller): Promise<MusterClient> {
  try {
    return await MusterClient.open(socketPath, caller);
  } catch (e) {
    if (isNotListening(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new MusterError(
      'failure',
      `Could not connect to the muster supervisor's socket ${socketPath} (${code}). "muster status" tries again; if it keeps failing, see its log next to the store.`,
    );
  }
}

export { NotRunningError };

/**
 * Node options of the supervisor. It turns every agent's output into emulator cells, which
 * makes short-lived garbage at the rate agents print: a larger young generation collects it
 * in fewer scavenges (a fifth of the supervisor's CPU went to them with 8 flooding agents).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * Spawns `muster daemon` detached, with its output in daemon.log, and waits until its socket
 * answers. If it exits first, its own message explains why (bad config, corrupt store).
 */
export async function startInBackground(paths: MusterPaths, timeoutMs: number): Promise<void> {
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  rotateLog(paths.daemonLog);
  const offset = existsSync(paths.daemonLog) ? statSync(paths.daemonLog).size : 0;
  const log = openSync(paths.daemonLog, 'a', 0o600);
  // How ssh reaches other hosts (hosts: in the config) is the user's setting, kept like the rest of the environment.
  const kept = new Set(['MUSTER_DEBUG', 'MUSTER_SSH_COMMAND', 'MUSTER_REMOTE_COMMAND', 'MUSTER_SSH_CONTROL']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MUSTER_') || kept.has(k)));
  const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, musterBin(), 'daemon'], {
    cwd: paths.repo.mainRoot,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...env, MUSTER_SPAWNED: '1' },
  });
  closeSync(log);
  let exited: number | null = null;
  child.once('exit', (code, signal) => {
    exited = code ?? (signal ? 128 : 1);
  });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const probe = await MusterClient.open(paths.socketPath, callerFor(paths, paths.repo.mainRoot));
      probe.close();
      return;
    } catch (e) {
      if (!isNotListening(e)) throw e;
    }
    if (exited !== null && exited !== EXIT.alreadyRunning) {
      const said = readFileSync(paths.daemonLog, 'utf8')
        .slice(offset)
        .trim()
        .replace(/^muster: /, '');
      throw new MusterError(
        exited === 2 ? 'config' : 'failure',
        said || `The muster supervisor exited with code ${exited} before it was ready; see ${paths.daemonLog}.`,
      );
    }
    if (Date.now() > deadline) {
      throw new MusterError('failure', `The muster supervisor did not start within ${timeoutMs / 1000}s; see ${paths.daemonLog}.`);
    }
    await new Promise((r) => setTimeout(r, exited === null ? 15 : 30));
  }
}

function rotateLog(file: string): void {
  try {
    if (statSync(file).size > 1024 * 1024) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}
