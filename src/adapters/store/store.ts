import { appendFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { emptyState, STATE_VERSION, type AuditEvent, type MusterState } from '../../core/state.js';
import { DurableTextFile } from './durable-file.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import { storeSchema } from './schema.js';

/** The store cannot be used as it is; it is left untouched. */
export class StoreRefusedError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`Refusing to use the store ${file}: ${why}. It has not been modified.`);
    this.name = 'StoreRefusedError';
  }
}

export interface StoreOptions {
  storeFile: string;
  eventsFile: string;
  migrations?: Record<number, Migration>;
  version?: number;
}

/**
 * The supervisor's state on disk. Only the supervisor writes it. `commit` resolves once the
 * change is durable; commits that arrive while a write is in flight are written together in
 * the next one (group commit), so many clients cost few fsyncs.
 */
export class Store {
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private events: AuditEvent[] = [];
  private flushing: Promise<void> | null = null;

  private constructor(
    private readonly db: Low<string>,
    private readonly file: DurableTextFile,
    private readonly eventsFile: string,
    public data: MusterState,
  ) {}

  static async open(opts: StoreOptions): Promise<{ store: Store; migratedFrom: number | null; backup: string | null }> {
    const file = new DurableTextFile(opts.storeFile);
    await mkdir(dirname(opts.storeFile), { recursive: true });
    await file.removeLeftovers();
    const db = new Low<string>(file, '');
    await db.read();
    const text = db.data;
    const version = opts.version ?? STATE_VERSION;
    if (!text) {
      const store = new Store(db, file, opts.eventsFile, { ...emptyState(), version });
      await store.commit([]);
      return { store, migratedFrom: null, backup: null };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new StoreRefusedError(opts.storeFile, `it is not valid JSON (${(e as Error).message}); restore it from a backup or move it away to start empty`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new StoreRefusedError(opts.storeFile, 'it does not hold a JSON object; restore it from a backup or move it away to start empty');
    }
    const outcome = migrate(raw as Record<string, unknown>, version, opts.migrations ?? MIGRATIONS);
    let backup: string | null = null;
    switch (outcome.kind) {
      case 'newer':
        throw new StoreRefusedError(opts.storeFile, `it has schema version ${outcome.version}, newer than this muster's ${version}; upgrade muster`);
      case 'unknown-version':
        throw new StoreRefusedError(opts.storeFile, `its schema version ${JSON.stringify(outcome.version)} is not a version number; restore it from a backup`);
      case 'no-path':
        throw new StoreRefusedError(opts.storeFile, `this muster cannot migrate schema version ${outcome.from}`);
      case 'migrated':
        backup = `${opts.storeFile}.v${outcome.from}.${Date.now()}.bak`;
        await copyFile(opts.storeFile, backup);
        break;
      case 'current':
        break;
    }
    const parsed = storeSchema.safeParse(outcome.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreRefusedError(opts.storeFile, `it does not match the schema (${issue?.path.join('.') || 'top'}: ${issue?.message}); restore it from a backup`);
    }
    const store = new Store(db, file, opts.eventsFile, parsed.data);
    if (outcome.kind === 'migrated') await store.commit([{ time: new Date().toISOString(), actor: 'supervisor', kind: 'store-migrated', details: { from: outcome.from, to: version, backup } }]);
    return { store, migratedFrom: outcome.kind === 'migrated' ? outcome.from : null, backup };
  }

  /** Makes the current `data` durable together with its audit events. */
  commit(events: AuditEvent[]): Promise<void> {
    this.events.push(...events);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // After the requests read in this turn of the event loop have made their changes, so
      // they share one write.
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flushLoop());
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.waiters.length) {
      const waiters = this.waiters.splice(0);
      const events = this.events.splice(0);
      // Serialised now, so later changes wait for the next round.
      this.db.data = JSON.stringify(this.data, null, 1);
      try {
        if (events.length) appendFileSync(this.eventsFile, events.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
        await this.db.write();
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  /** Waits for every pending commit. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  get path(): string {
    return this.file.file;
  }
}
