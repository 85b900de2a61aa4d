import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emptyState, STATE_VERSION, type MusterState } from '../../core/state.js';
import { DeltaMismatchError, applyDelta } from './state-delta.js';
import { JournalDamagedError, listSegments, readJournal, type JournalRead, type JournalRecord } from './journal.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import { storeSchema } from './schema.js';

/** The store cannot be used as it is; it is left untouched. */
export class StoreRefusedError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
    readonly hint: string | null = null,
  ) {
    super(`Refusing to use the store ${file}: ${why}. It has not been modified.${hint ? ` ${hint}` : ''}`);
    this.name = 'StoreRefusedError';
  }
}

export interface StoreOptions {
  storeFile: string;
  eventsFile: string;
  /** The journal's directory; `journal/` beside the store file unless given. */
  journalDir?: string;
  migrations?: Record<number, Migration>;
  version?: number;
  /** A snapshot is written after this many journal records or bytes since the last one. */
  snapshotAfter?: { records: number; bytes: number };
}

export function journalDirOf(opts: StoreOptions): string {
  return opts.journalDir ?? join(dirname(opts.storeFile), 'journal');
}

/** The key of the snapshot that names the last journal record it holds. */
export const SNAPSHOT_SEQ_KEY = 'journalSeq';

type Plain = Record<string, unknown>;

const NO_RECOVERY = 'Restore it from a backup, or move it away to start with an empty store.';

/** A snapshot document: the state and the journal record it was taken at. */
export function parseSnapshot(file: string, text: string | null, recoveryHint: () => string | null): { raw: Plain; seq: number } {
  const hint = () => recoveryHint() ?? NO_RECOVERY;
  if (text === null) throw new StoreRefusedError(file, 'it is missing while its journal or last good copy is there', hint());
  if (!text.trim()) throw new StoreRefusedError(file, `it is empty (${Buffer.byteLength(text)} bytes): it was damaged, not started fresh`, hint());
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StoreRefusedError(file, `it is not valid JSON (${(e as Error).message})`, hint());
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new StoreRefusedError(file, 'it does not hold a JSON object', hint());
  const { [SNAPSHOT_SEQ_KEY]: seq = 0, ...rest } = raw as Plain;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0)
    throw new StoreRefusedError(file, `its ${SNAPSHOT_SEQ_KEY} ${JSON.stringify(seq)} is not a journal position`, hint());
  return { raw: rest, seq };
}

/** The snapshot's data with the journal's records applied, migrating first where a record is newer. */
export function replay(file: string, raw: Plain, records: JournalRecord[], chain: Record<number, Migration>, hint: () => string | null): Plain {
  let state = raw;
  for (const r of records) {
    if (typeof state.version === 'number' && r.v > state.version) {
      const m = migrate(state, r.v, chain, { dir: dirname(file) });
      if (m.kind !== 'migrated')
        throw new StoreRefusedError(
          file,
          `its journal holds change ${r.seq} of schema version ${r.v}, which this muster cannot reach from version ${String(state.version)}`,
          hint(),
        );
      state = m.data;
    }
    try {
      state = applyDelta(state, r);
    } catch (e) {
      if (!(e instanceof DeltaMismatchError)) throw e;
      throw new StoreRefusedError(file, `journal change ${r.seq} does not fit the state before it (${e.message})`, hint());
    }
  }
  return state;
}

/** A loaded store, before anything is written back. */
export interface LoadedStore {
  state: MusterState;
  /** The journal record the snapshot file holds the state of. */
  snapshotSeq: number;
  journal: JournalRead;
  /** The schema version migrated from, and the data before the migration, when one ran. */
  migrated: { from: number; before: Plain } | null;
  /** No store existed: this is a new, empty one. */
  fresh: boolean;
}

/** Turns data of any version into the current state, or says why it cannot. */
export function toCurrent(
  file: string,
  data: Plain,
  version: number,
  chain: Record<number, Migration>,
  hint: () => string | null,
): { state: MusterState; migratedFrom: number | null } {
  const outcome = migrate(data, version, chain, { dir: dirname(file) });
  switch (outcome.kind) {
    case 'newer':
      throw new StoreRefusedError(file, `it has schema version ${outcome.version}, newer than this muster's ${version}; upgrade muster`);
    case 'unknown-version':
      throw new StoreRefusedError(file, `its schema version ${JSON.stringify(outcome.version)} is not a version number`, hint() ?? 'Restore it from a backup.');
    case 'no-path':
      throw new StoreRefusedError(file, `this muster cannot migrate schema version ${outcome.from}`);
    case 'failed':
      throw new StoreRefusedError(file, `migrating it from schema version ${outcome.from} failed (${outcome.why}); fix that and start muster again`);
    default:
      break;
  }
  const parsed = storeSchema.safeParse(outcome.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreRefusedError(
      file,
      `it does not match the schema (${issue?.path.join('.') || 'top'}: ${issue?.message})`,
      hint() ?? 'Restore it from a backup.',
    );
  }
  return { state: parsed.data, migratedFrom: outcome.kind === 'migrated' ? outcome.from : null };
}

/**
 * Reads the snapshot and replays the journal after it, writing nothing. What cannot be used
 * is refused with the reason and, when the last good copy or the journal can rebuild it, how.
 */
export function loadStore(opts: StoreOptions, recoveryHint: () => string | null): LoadedStore {
  const file = opts.storeFile;
  const version = opts.version ?? STATE_VERSION;
  const chain = opts.migrations ?? MIGRATIONS;
  const dir = journalDirOf(opts);
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const journalHasRecords = listSegments(dir).some((s) => statSync(s.file).size > 0);
  if (text === null && !journalHasRecords && !existsSync(`${file}.prev`)) {
    return {
      state: { ...emptyState(), version },
      snapshotSeq: 0,
      journal: { records: [], lastSeq: 0, firstSeq: null, nextSeq: 1, torn: null, bytes: 0 },
      migrated: null,
      fresh: true,
    };
  }
  const snap = parseSnapshot(file, text, recoveryHint);
  let journal: JournalRead;
  try {
    journal = readJournal(dir, snap.seq);
  } catch (e) {
    if (!(e instanceof JournalDamagedError)) throw e;
    throw new StoreRefusedError(
      file,
      `its journal cannot be replayed: ${e.message}`,
      `${file} holds every change through change ${snap.seq}; to start from it and lose the changes after, move ${dir} away. Keep the damaged journal for a post-mortem.`,
    );
  }
  const replayed = replay(file, snap.raw, journal.records, chain, recoveryHint);
  const { state, migratedFrom } = toCurrent(file, replayed, version, chain, recoveryHint);
  return { state, snapshotSeq: snap.seq, journal, migrated: migratedFrom === null ? null : { from: migratedFrom, before: replayed }, fresh: false };
}
