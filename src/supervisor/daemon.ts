import { join } from 'node:path';
import { writeGuardHooks } from '../adapters/git/commit-guard.js';
import { musterBin } from '../paths/package-root.js';
import { checkedOutBranch, holdSpawnHelper } from '../adapters/git/git.js';
import { Store, StoreRefusedError } from '../adapters/store/store.js';
import { removeStalePromptTemps, removeStaleTemps } from '../adapters/store/stale-temps.js';
import { FileWriteError } from '../adapters/store/write-error.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { EXIT } from '../protocol/errors.js';
import { musterPaths, UnsafeSocketDirError, type MusterPaths } from '../paths/muster-paths.js';
import { locateRepo } from '../paths/repo.js';
import { handleRequest } from './handlers/index.js';
import { AlreadyRunningError, InstanceLockError, acquireInstanceLock } from '../adapters/store/instance-lock.js';
import { SocketServer } from '../adapters/socket/socket-server.js';
import { AgentRuntime } from './agent-runtime.js';
import { AgentSessions } from './agent-sessions.js';
import { ConflictScanner } from './conflict-scanner.js';
import { ContextService } from './context-service.js';
import { Dispatcher } from './dispatcher.js';
import { LockManager } from './lock-manager.js';
import { MergeManager } from './merge-manager.js';
import { ProcessWarden } from './process-warden.js';
import type { Services } from './services.js';
import { StateCell, type SupervisorContext } from './state-cell.js';
import { writeMusterShim } from '../adapters/proc/muster-shim.js';
import { reconcile } from './reconcile.js';
import { reattachAgents, survivingAgents } from './reattach.js';
import { TerminalWorker } from '../adapters/worker/terminal-worker.js';
import type { HostedTerminal } from '../adapters/worker/messages.js';
import { watchPath } from '../adapters/watch/file-watch.js';
import { ensureDir, tempDir } from '../adapters/fs/files.js';

/**
 * The one composition root: every service is made here, each given the state cell and the
 * services it uses, and the cell's two callbacks are pointed at the dispatcher and the scanner.
 */
export function wireServices(ctx: SupervisorContext): Services {
  const cell = new StateCell(ctx);
  const warden = new ProcessWarden(cell);
  const paths = ctx.paths;
  const worker = new TerminalWorker({ socketPath: paths.workerSocketPath, logFile: paths.workerLog, bin: musterBin(), cwd: paths.repo.mainRoot });
  const runtime = new AgentRuntime(cell, warden, worker);
  const sessions = new AgentSessions(cell, runtime);
  const locks = new LockManager(cell);
  const context = new ContextService(cell);
  const merges = new MergeManager(cell, runtime, locks);
  const scanner = new ConflictScanner(cell);
  const dispatcher = new Dispatcher({ cell, runtime, sessions, context, locks, scanner });
  cell.onDispatch = () => dispatcher.scheduleDispatch();
  cell.onScan = () => scanner.request();
  return { cell, warden, runtime, sessions, locks, context, merges, scanner, dispatcher };
}

export interface DaemonHandle {
  services: Services;
  paths: MusterPaths;
  /** Resolves when the supervisor has shut down. */
  closed: Promise<void>;
}

/** Starts the supervisor for the repository around `cwd`; throws what stopped it from starting. */
export async function startDaemon(cwd: string): Promise<DaemonHandle> {
  const paths = musterPaths(locateRepo(cwd));
  ensureDir(paths.stateDir, 0o700);
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
  // Every git command from here on is forked by a small helper, not by the supervisor.
  const releaseSpawnHelper = holdSpawnHelper();
  // Temporary indexes of snapshots a killed supervisor (of any repository) left in /tmp.
  removeStaleTemps(tempDir(), 'muster-index-', '', { legacyOlderThanMs: 60 * 60 * 1000 });
  // Prompt files written halfway when a supervisor was killed (the store never named them).
  removeStalePromptTemps(paths.tasksDir);
  const target = config.merge.target ?? (await checkedOutBranch(paths.repo.commonDir)) ?? 'main';
  const shimDir = writeMusterShim(paths.stateDir);
  writeGuardHooks(join(paths.stateDir, 'hooks'), process.execPath, musterBin());
  const services = wireServices({
    paths,
    config,
    configError: null,
    store,
    pid: process.pid,
    startedAt: instance.holder.startedAt ?? new Date().toISOString(),
    target,
    shimDir,
  });
  const { cell, warden, locks, context, merges, scanner, dispatcher } = services;
  const server = new SocketServer(paths.socketPath, (req, conn) => handleRequest(services, req, conn));
  cell.server = server;
  warden.start();
  try {
    services.runtime.worker.onPid = (pid) => warden.useWorker(pid, () => services.runtime.leaders());
    let hosted: HostedTerminal[] = [];
    try {
      hosted = await services.runtime.worker.start();
    } catch (e) {
      // No worker to take agents over from: they are gone, as reconcile finds; one starts with the next agent.
      cell.faults.report(`no terminal worker to reattach to: ${(e as Error).message}`);
    }
    const surviving = survivingAgents(cell.state, hosted, services.runtime.worker);
    await reconcile(cell, warden, new Set(surviving.map((a) => a.task)));
    reattachAgents(services.runtime, services.sessions, surviving);
    // Before anyone may look: no host could renew while no supervisor ran.
    await locks.restartLeases();
    await server.listen();
    // Agents on other hosts outlive this supervisor too: looked for once it answers (a host may take a while, or be away).
    services.runtime.remotes.onReattach = (task, session, proc) => reattachAgents(services.runtime, services.sessions, [{ task, session, proc }]);
    services.runtime.remotes.onRenew = (host, tasks) =>
      void services.locks
        .renewLeases(host, tasks)
        .catch((e: unknown) => cell.faults.report(`the lock leases of host ${host} were not renewed: ${(e as Error).message}`));
    services.runtime.remotes.resume();
  } catch (e) {
    await store.close().catch(() => undefined);
    releaseSpawnHelper();
    instance.release();
    throw e;
  }
  const closed = new Promise<void>((resolve) => {
    dispatcher.onStop = () => {
      void (async () => {
        await configWatch.close();
        await dispatcher.shutdown();
        warden.stop();
        await store
          .close()
          .catch((e: unknown) => cell.faults.report(`the store did not close cleanly: ${(e as Error).message}; the journal holds every change`));
        await server.close();
        releaseSpawnHelper();
        instance.release();
        resolve();
      })();
    };
  });
  cell.audit([{ actor: 'supervisor', kind: 'supervisor-started', details: { pid: process.pid } }]);
  // The file may not exist yet: `muster init` after the supervisor started must still count.
  const configWatch = watchPath(paths.configFile, () => dispatcher.reloadConfig(() => loadConfig(paths.configFile, paths.repo.mainRoot)), 200);
  locks.start();
  await context.start();
  await merges.recover();
  await scanner.start();
  dispatcher.scheduleDispatch();
  return { services, paths, closed };
}

/** Writes to the log that cannot be made (a full disk) must not end the supervisor. */
function keepLoggingSafe(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}

/** `muster daemon`: runs in the foreground until stopped; returns the exit code. */
export async function runDaemon(cwd: string): Promise<number> {
  const spawned = process.env.MUSTER_SPAWNED === '1';
  keepLoggingSafe();
  let handle: DaemonHandle;
  try {
    handle = await startDaemon(cwd);
  } catch (e) {
    if (e instanceof AlreadyRunningError) {
      process.stderr.write(`muster: ${e.message}\n`);
      return spawned ? EXIT.alreadyRunning : EXIT.failure;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`muster: the configuration has errors; nothing was started.\n${e.message}\n`);
      return EXIT.badInput;
    }
    if (e instanceof StoreRefusedError || e instanceof UnsafeSocketDirError || e instanceof InstanceLockError || e instanceof FileWriteError) {
      process.stderr.write(`muster: ${e.message}\n`);
      return EXIT.failure;
    }
    throw e;
  }
  const { services, paths } = handle;
  process.on('unhandledRejection', (reason) => services.cell.faults.unhandled(reason));
  process.stderr.write(`muster: supervisor ${process.pid} serving ${paths.repo.mainRoot} on ${paths.socketPath}\n`);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => {
      // Why the agents stopped must be readable afterwards.
      process.stderr.write(`muster: supervisor ${process.pid} got ${sig}; stopping its agents\n`);
      services.dispatcher.stop();
    });
  }
  await handle.closed;
  process.stderr.write(`muster: supervisor ${process.pid} stopped\n`);
  // Everything is closed and released by now: a handle something forgot to close (a late
  // connection) must not keep a stopped supervisor's process alive. Unref'd: a clean exit never waits for it.
  setTimeout(() => {
    process.stderr.write(`muster: supervisor ${process.pid} still had something open after it stopped; exiting anyway\n`);
    process.exit(EXIT.ok);
  }, 5000).unref();
  return EXIT.ok;
}

export { runDoctor } from './doctor.js';
