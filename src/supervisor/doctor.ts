import { pathExists } from '../adapters/fs/files.js';
import { describeRecovery, planRecovery, recoverStore } from '../adapters/store/recovery.js';
import { loadStore, StoreRefusedError, type StoreOptions } from '../adapters/store/store-load.js';
import { musterPaths } from '../paths/muster-paths.js';
import { locateRepo, NotARepositoryError } from '../paths/repo.js';
import { writeFailure } from '../adapters/store/write-error.js';
import { AlreadyRunningError, InstanceLockError, acquireInstanceLock, liveLockHolder } from '../adapters/store/instance-lock.js';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * `muster doctor [--recover]`: says whether the store can be used and, when it cannot, how it
 * can be rebuilt; with `--recover` rebuilds it (the damaged file is kept). Returns the exit code.
 */
export async function runDoctor(cwd: string, opts: { recover: boolean }): Promise<number> {
  let paths: ReturnType<typeof musterPaths>;
  try {
    paths = musterPaths(locateRepo(cwd));
  } catch (e) {
    if (!(e instanceof NotARepositoryError)) throw e;
    process.stderr.write(`muster: ${e.message}\n`);
    return 2;
  }
  const store: StoreOptions = { storeFile: paths.storeFile, eventsFile: paths.eventsFile };
  if (!pathExists(paths.stateDir)) {
    say('muster has no store in this repository yet; the first command creates it.');
    return 0;
  }
  let problem: StoreRefusedError;
  try {
    const loaded = loadStore(store, () => null);
    const pid = liveLockHolder(paths.lockFile);
    const torn = loaded.journal.torn ? ' (its last change was cut off by a crash before it was acknowledged; the next start drops it)' : '';
    say(
      `The store is sound: ${loaded.state.tasks.length} task${loaded.state.tasks.length === 1 ? '' : 's'}, ${paths.storeFile} holds change ${loaded.snapshotSeq} and the journal runs through change ${loaded.journal.lastSeq}${torn}.${pid ? ` Supervisor ${pid} is using it.` : ''}`,
    );
    if (opts.recover) say('Nothing to recover.');
    return 0;
  } catch (e) {
    if (!(e instanceof StoreRefusedError)) throw e;
    problem = e;
  }
  const plan = planRecovery(store);
  if (!opts.recover) {
    process.stderr.write(`muster: ${problem.message}\n`);
    const how = describeRecovery(store, plan);
    process.stderr.write(
      how
        ? `muster: ${how}\n`
        : `muster: it cannot be rebuilt from what muster keeps (${plan.ok ? '' : plan.why}); restore ${paths.storeFile} from a backup, or move it away to start empty.\n`,
    );
    return 1;
  }
  let instance: ReturnType<typeof acquireInstanceLock>;
  try {
    instance = acquireInstanceLock(paths.lockFile);
  } catch (e) {
    if (e instanceof AlreadyRunningError) {
      process.stderr.write(`muster: ${e.message} Stop it before recovering the store.\n`);
      return 1;
    }
    if (e instanceof InstanceLockError) {
      process.stderr.write(`muster: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    const { plan: done, keptAs } = await recoverStore(store);
    const from = done.from === 'previous' ? `${paths.storeFile}.prev (change ${done.baseSeq})` : 'the journal alone';
    say(
      `Recovered the store from ${from} and the journal through change ${done.throughSeq}: ${done.state.tasks.length} task${done.state.tasks.length === 1 ? '' : 's'}.${keptAs ? ` The damaged file is kept as ${keptAs}.` : ''}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof StoreRefusedError) {
      process.stderr.write(`muster: ${e.message} Restore ${paths.storeFile} from a backup, or move it away to start empty.\n`);
      return 1;
    }
    if (!(e as NodeJS.ErrnoException).code) throw e;
    process.stderr.write(`muster: the store was not recovered: ${writeFailure(paths.stateDir, e)}. Free space (or fix the disk) and run it again.\n`);
    return 1;
  } finally {
    instance.release();
  }
}
