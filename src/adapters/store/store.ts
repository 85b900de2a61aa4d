import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import type { AuditEvent, MusterState } from '../../core/state.js';
import { AuditLog } from './audit-log.js';
import { DurableTextFile } from './durable-file.js';
import { JournalWriter, cutTornTail, encodeRecord } from './journal.js';
import { describeRecovery, planRecovery } from './recovery.js';
import { diffState } from './state-delta.js';
import { journalDirOf, loadStore, SNAPSHOT_SEQ_KEY, type StoreOptions } from './store-load.js';
import { FileWriteError, StoreWriteError, writeFailure } from './write-error.js';

export { StoreRefusedError, type StoreOptions } from './store-load.js';
export { StoreWriteError } from './write-error.js';

const SNAPSHOT_AFTER = { records: 4000, bytes: 8 * 1024 * 1024 };

// Under the test runner every committed state is frozen: a change made in place, which the
// journal (it finds changes by reference) would miss, then fails loudly where it is made.
const FREEZE = Boolean(process.env.VITEST);

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** The snapshot document: the state as lowdb JSON, and the journal record it holds. */
function snapshotText(state: MusterState, seq: number): string {
  return JSON.stringify({ ...state, [SNAPSHOT_SEQ_KEY]: seq }, null, 1);
}

/**
 * The supervisor's state on disk: a write-ahead journal of changes, each made durable by one
 * fsync before `commit` resolves, and a snapshot (`state.json`, a lowdb JSON document) written
 * now and then, after which the journal before it can go. Only the supervisor writes it.
 * Commits that arrive while one is written go together in the next record (group commit).
 * A write that fails rolls `data` back to what is on disk and refuses every commit it held.
 */
export class Store {
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private events: AuditEvent[] = [];
  private flushing: Promise<void> | null = null;
  private snapshotting: Promise<void> | null = null;
  private since = { records: 0, bytes: 0 };
  private closed = false;
  private readonly snapshotAfter: { records: number; bytes: number };
  /** Called after a failed write put `data` back to the last durable state. */
  onRollback: ((from: MusterState, to: MusterState, error: StoreWriteError) => void) | null = null;
  /** Called with what went wrong in the background (a snapshot, the audit log); the change itself was made. */
  onProblem: (message: string) => void = (message) => {
    try {
      process.stderr.write(`muster: ${message}\n`);
    } catch {
      // The log is on the full disk too.
    }
  };

  private constructor(
    private readonly db: Low<string>,
    private readonly file: DurableTextFile,
    private readonly journal: JournalWriter,
    private readonly audit: AuditLog,
    /** The state as of the last durable journal record. */
    private persisted: MusterState,
    private seq: number,
    private snapshotSeq: number,
    opts: StoreOptions,
  ) {
    this.data = persisted;
    this.snapshotAfter = opts.snapshotAfter ?? SNAPSHOT_AFTER;
  }

  /** The state as the supervisor sees it: the durable state plus the commits in flight. */
  data: MusterState;

  static async open(opts: StoreOptions): Promise<{ store: Store; migratedFrom: number | null; backup: string | null }> {
    const file = new DurableTextFile(opts.storeFile);
    mkdirSync(dirname(opts.storeFile), { recursive: true });
    await file.removeLeftovers();
    const journalDir = journalDirOf(opts);
    const loaded = loadStore(opts, () => describeRecovery(opts, planRecovery(opts)));
    try {
      const db = new Low<string>(file, '');
      let backup: string | null = null;
      if (loaded.migrated) {
        backup = `${opts.storeFile}.v${loaded.migrated.from}.${Date.now()}.bak`;
        // The file as it was, unless the journal had changes on top of it.
        if (loaded.journal.records.length) writeFileSync(backup, JSON.stringify(loaded.migrated.before, null, 1), { mode: 0o600 });
        else copyFileSync(opts.storeFile, backup);
      }
      if (loaded.journal.torn) cutTornTail(loaded.journal.torn);
      const lastSeq = loaded.journal.lastSeq;
      const journal = JournalWriter.open(journalDir, lastSeq + 1, loaded.journal.nextSeq === lastSeq + 1);
      const audit = AuditLog.open(opts.eventsFile, loaded.snapshotSeq);
      for (const r of loaded.journal.records) audit.add(r.seq, r.events);
      const store = new Store(db, file, journal, audit, loaded.state, lastSeq, loaded.snapshotSeq, opts);
      store.since = { records: loaded.journal.records.length, bytes: loaded.journal.bytes };
      const auditError = audit.write();
      if (auditError)
        store.onProblem(
          `the audit log ${opts.eventsFile} could not be brought up to date (${writeFailure(opts.eventsFile, auditError)}); the journal keeps its lines until it can`,
        );
      // A new store, and a migrated one (journal records after it are of the new version), start from a snapshot.
      if (loaded.fresh || loaded.migrated) await store.snapshot(true);
      if (loaded.migrated) {
        await store.commit([
          {
            time: new Date().toISOString(),
            actor: 'supervisor',
            kind: 'store-migrated',
            details: { from: loaded.migrated.from, to: loaded.state.version, backup },
          },
        ]);
      }
      return { store, migratedFrom: loaded.migrated?.from ?? null, backup };
    } catch (e) {
      if (e instanceof FileWriteError || !(e as NodeJS.ErrnoException).code) throw e;
      throw new FileWriteError(
        dirname(opts.storeFile),
        e,
        `The store could not be opened: ${writeFailure(dirname(opts.storeFile), e)}. Free space (or fix the disk) and try again.`,
      );
    }
  }

  /** Makes the current `data` durable together with its audit events. */
  commit(events: AuditEvent[]): Promise<void> {
    this.events.push(...events);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // After the requests read in this turn of the event loop have made their changes, so
      // they share one record and one fsync.
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flushOnce());
    });
  }

  private flushOnce(): void {
    const waiters = this.waiters.splice(0);
    const events = this.events.splice(0);
    this.flushing = null;
    const target = this.data;
    const error = this.append(target, events);
    if (error) {
      this.rollback(error, waiters);
      return;
    }
    for (const w of waiters) w.resolve();
    // In a later turn: the replies just resolved go out first.
    if (this.snapshotDue) setImmediate(() => this.snapshotSoon());
  }

  /** Writes one journal record from the durable state to `target`; returns the error if it failed. */
  private append(target: MusterState, events: AuditEvent[]): StoreWriteError | null {
    let line: string;
    const seq = this.seq + 1;
    try {
      const delta = diffState(this.persisted, target);
      if (!delta && !events.length) return null;
      line = encodeRecord({ seq, v: target.version, events, ...delta });
      this.journal.append(line);
    } catch (e) {
      return new StoreWriteError(this.journal.file, e);
    }
    if (FREEZE) deepFreeze(target);
    this.seq = seq;
    this.persisted = target;
    this.since.records++;
    this.since.bytes += line.length;
    this.audit.add(seq, events);
    const auditError = this.audit.write();
    if (auditError)
      this.onProblem(
        `the audit log ${this.audit.file} is behind the journal (${writeFailure(this.audit.file, auditError)}); its lines are written when the disk lets them`,
      );
    return null;
  }

  private rollback(error: StoreWriteError, waiters: { reject: (e: unknown) => void }[]): void {
    const from = this.data;
    this.data = this.persisted;
    for (const w of waiters) w.reject(error);
    this.onRollback?.(from, this.persisted, error);
  }

  private get snapshotDue(): boolean {
    return this.since.records >= this.snapshotAfter.records || this.since.bytes >= this.snapshotAfter.bytes;
  }

  private snapshotSoon(): void {
    if (this.closed || this.snapshotting) return;
    this.snapshotting = this.snapshot().finally(() => {
      this.snapshotting = null;
      // The journal grew past the bound again while this one was written.
      if (this.snapshotDue) setImmediate(() => this.snapshotSoon());
    });
  }

  /**
   * Writes the durable state as the new `state.json` (the old one becomes `state.json.prev`),
   * then removes the journal segments the previous snapshot no longer needs. The journal goes
   * on in a new segment meanwhile; a snapshot that fails costs nothing but a longer replay.
   */
  private async snapshot(strict = false): Promise<void> {
    const seq = this.seq;
    const state = this.persisted;
    // Counted from here even when this one fails: a full disk is tried again N records later.
    this.since = { records: 0, bytes: 0 };
    try {
      if (seq > this.snapshotSeq || this.journal.bytes > 0) this.journal.rotate(seq + 1);
    } catch (e) {
      if (strict) throw e;
      this.onProblem(`could not start a new journal segment (${writeFailure(this.journal.dir, e)}); the current one goes on`);
      return;
    }
    this.db.data = snapshotText(state, seq);
    try {
      await this.db.write();
    } catch (e) {
      if (strict) throw e;
      this.onProblem(`could not write the snapshot ${this.file.file} (${writeFailure(this.file.file, e)}); every change stays in the journal`);
      return;
    }
    const previous = this.snapshotSeq;
    this.snapshotSeq = seq;
    // The journal after the previous snapshot (now state.json.prev) stays, to recover from it.
    if (this.audit.hasPending) return;
    try {
      this.audit.sync();
      this.journal.removeThrough(previous);
    } catch (e) {
      this.onProblem(`could not remove old journal segments (${(e as Error).message}); they are removed after the next snapshot`);
    }
  }

  /** Waits for every pending commit (not for a snapshot being written). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Waits for everything, writes a final snapshot when the journal has changes after the last one, and closes the journal. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.flush();
      while (this.snapshotting) await this.snapshotting;
      this.closed = true;
      if (this.seq > this.snapshotSeq) await this.snapshot();
      this.journal.close();
    })();
    return this.closing;
  }

  private closing: Promise<void> | null = null;

  /** The last durable journal record. */
  get committedSeq(): number {
    return this.seq;
  }

  get path(): string {
    return this.file.file;
  }
}
