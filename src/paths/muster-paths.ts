import { createRequire } from 'node:module';
import { join } from 'node:path';

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
  daemonLog: string;
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
    daemonLog: join(stateDir, 'daemon.log'),
    tasksDir: join(stateDir, 'tasks'),
    configFile: join(repo.mainRoot, '.muster', 'config.yaml'),
  };
}

export function socketPathFor(stateDir: string): string {
  const preferred = join(stateDir, 'daemon.sock');
  if (Buffer.byteLength(preferred) < SOCKET_PATH_LIMIT) return preferred;
  const { createHash } = lazy('node:crypto') as typeof import('node:crypto');
  return join(shortRuntimeDir(), `${createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}.sock`);
}

/** A per-user directory for sockets whose natural path is too long. */
export function shortRuntimeDir(): string {
  const { tmpdir, userInfo } = lazy('node:os') as typeof import('node:os');
  const base = process.env.XDG_RUNTIME_DIR || tmpdir();
  return join(base, `muster-${userInfo().uid}`);
}
