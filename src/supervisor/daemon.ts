import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeGuardHooks } from '../adapters/git/commit-guard.js';
import { musterBin } from '../paths/package-root.js';
import { checkedOutBranch } from '../adapters/git/git.js';
import { Store, StoreRefusedError } from '../adapters/store/store.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { musterPaths, type MusterPaths } from '../paths/muster-paths.js';
import { locateRepo } from '../paths/repo.js';
import { handleRequest } from './handlers/index.js';
import { AlreadyRunningError, acquireInstanceLock } from './instance-lock.js';
import { SocketServer } from './server.js';
import { Supervisor } from './supervisor.js';
import { writeMusterShim } from './muster-shim.js';
import { reconcile } from './reconcile.js';
import { watchFile } from '../adapters/watch/file-watch.js';

/**
 * Exit code of a supervisor that a client started in the background and that found another
 * one already running: the client then just waits for that one's socket.
 */
export const EXIT_ALREADY_RUNNING = 75;

export interface DaemonHandle {
  supervisor: Supervisor;
  paths: MusterPaths;
  /** Resolves when the supervisor has shut down. */
  closed: Promise<void>;
}

/** Starts the supervisor for the repository around `cwd`; throws what stopped it from starting. */
export async function startDaemon(cwd: string): Promise<DaemonHandle> {
  const paths = musterPaths(locateRepo(cwd));
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  // A bad config is refused before anything starts.
  const config = loadConfig(paths.configFile, paths.repo.mainRoot);
  const instance = acquireInstanceLock(paths.lockFile);
  let store: Store;
  try {
    ({ store } = await Store.open({ storeFile: paths.storeFile, eventsFile: paths.eventsFile }));
  } catch (e) {
    instance.release();
    throw e;
  }
  const target = config.merge.target ?? (await checkedOutBranch(paths.repo.commonDir)) ?? 'main';
  const shimDir = writeMusterShim(paths.stateDir);
  writeGuardHooks(join(paths.stateDir, 'hooks'), process.execPath, musterBin());
  const supervisor = new Supervisor({ paths, config, configError: null, store, pid: process.pid, startedAt: instance.holder.startedAt ?? new Date().toISOString(), target, shimDir });
  const server = new SocketServer(paths.socketPath, (req, conn) => handleRequest(supervisor, req, conn));
  supervisor.server = server;
  await reconcile(supervisor);
  try {
    await server.listen();
  } catch (e) {
    instance.release();
    throw e;
  }
  const closed = new Promise<void>((resolve) => {
    supervisor.onStop = () => {
      void (async () => {
        await configWatch.close();
        await supervisor.shutdown();
        await store.flush();
        await server.close();
        instance.release();
        resolve();
      })();
    };
  });
  await store.commit([{ time: new Date().toISOString(), actor: 'supervisor', kind: 'supervisor-started', details: { pid: process.pid } }]);
  const configWatch = watchFile(paths.configFile, () => supervisor.reloadConfig(() => loadConfig(paths.configFile, paths.repo.mainRoot)), 200);
  supervisor.locks.start();
  await supervisor.context.start();
  await supervisor.merges.recover();
  await supervisor.scanner.start();
  supervisor.scheduleDispatch();
  return { supervisor, paths, closed };
}

/** `muster daemon`: runs in the foreground until stopped; returns the exit code. */
export async function runDaemon(cwd: string): Promise<number> {
  const spawned = process.env.MUSTER_SPAWNED === '1';
  let handle: DaemonHandle;
  try {
    handle = await startDaemon(cwd);
  } catch (e) {
    if (e instanceof AlreadyRunningError) {
      process.stderr.write(`muster: ${e.message}\n`);
      return spawned ? EXIT_ALREADY_RUNNING : 1;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`muster: the configuration has errors; nothing was started.\n${e.message}\n`);
      return 2;
    }
    if (e instanceof StoreRefusedError) {
      process.stderr.write(`muster: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const { supervisor, paths } = handle;
  process.stderr.write(`muster: supervisor ${process.pid} serving ${paths.repo.mainRoot} on ${paths.socketPath}\n`);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => supervisor.stop());
  await handle.closed;
  process.stderr.write(`muster: supervisor ${process.pid} stopped\n`);
  return 0;
}
