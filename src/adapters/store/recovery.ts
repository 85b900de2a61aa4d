import { existsSync, readFileSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import { emptyState, STATE_VERSION, type MusterState } from '../../core/state.js';
import { DurableTextFile } from './durable-file.js';
import { cutTornTail, JournalDamagedError, listSegments, readJournal, type JournalRead } from './journal.js';
import { MIGRATIONS } from './migrations.js';
import { journalDirOf, parseSnapshot, replay, SNAPSHOT_SEQ_KEY, StoreRefusedError, toCurrent, type StoreOptions } from './store-load.js';

/** How a damaged store can be rebuilt, or why it cannot. */
export type RecoveryPlan =
  | {
      ok: true;
      /** What the rebuild starts from: the last good copy, or nothing (the journal holds every change). */
      from: 'previous' | 'empty';
      /** The journal record the starting point holds. */
      baseSeq: number;
      /** The last journal record replayed onto it. */
      throughSeq: number;
      state: MusterState;
      journal: JournalRead;
    }
  | { ok: false; why: string };

function nothing(): null {
  return null;
}

function tryFrom(opts: StoreOptions, from: 'previous' | 'empty'): RecoveryPlan {
  const prevFile = `${opts.storeFile}.prev`;
  const version = opts.version ?? STATE_VERSION;
  const chain = opts.migrations ?? MIGRATIONS;
  if (from === 'empty') {
    const first = listSegments(journalDirOf(opts))[0]?.first;
    if (first !== 1)
      return {
        ok: false,
        why: first === undefined ? 'there is no journal' : `the journal does not reach back to the first change (it starts at change ${first})`,
      };
  }
  try {
    const snap = from === 'previous' ? parseSnapshot(prevFile, readFileSync(prevFile, 'utf8'), nothing) : { raw: {} as Record<string, unknown>, seq: 0 };
    const journal = readJournal(journalDirOf(opts), snap.seq);
    if (from === 'empty') {
      if (journal.firstSeq !== 1) return { ok: false, why: 'the journal does not reach back to the first change' };
      snap.raw = { ...emptyState(), version: journal.records[0]?.v ?? version };
    }
    const data = replay(prevFile, snap.raw, journal.records, chain, nothing);
    const { state } = toCurrent(prevFile, data, version, chain, nothing);
    return { ok: true, from, baseSeq: snap.seq, throughSeq: journal.lastSeq, state, journal };
  } catch (e) {
    if (e instanceof StoreRefusedError) return { ok: false, why: `${basename(e.file)}: ${e.why}` };
    if (e instanceof JournalDamagedError) return { ok: false, why: `the journal cannot be replayed: ${e.message}` };
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, why: `${basename(prevFile)} is missing` };
    throw e;
  }
}

/**
 * The best rebuild of the store: the last good copy (`state.json.prev`) with the journal
 * after it, else the whole journal from the first change. Reads only.
 */
export function planRecovery(opts: StoreOptions): RecoveryPlan {
  const fromPrevious = existsSync(`${opts.storeFile}.prev`)
    ? tryFrom(opts, 'previous')
    : ({ ok: false, why: `${basename(opts.storeFile)}.prev is missing` } as const);
  if (fromPrevious.ok) return fromPrevious;
  const fromEmpty = tryFrom(opts, 'empty');
  return fromEmpty.ok ? fromEmpty : { ok: false, why: `${fromPrevious.why}; and ${fromEmpty.why}` };
}

/** One sentence on what a recovery would do, for the message that refuses the damaged store. */
export function describeRecovery(opts: StoreOptions, plan: RecoveryPlan): string | null {
  if (!plan.ok) return null;
  const n = plan.throughSeq - plan.baseSeq;
  const changes = `${n} journal change${n === 1 ? '' : 's'}`;
  const source =
    plan.from === 'previous'
      ? `its last good copy ${basename(opts.storeFile)}.prev (change ${plan.baseSeq}) and the ${changes} after it`
      : `the ${changes} of its journal`;
  return `"muster doctor --recover" rebuilds it from ${source} (through change ${plan.throughSeq}: ${plan.state.tasks.length} task${plan.state.tasks.length === 1 ? '' : 's'}), and keeps the damaged file.`;
}

/**
 * Rebuilds a damaged store as `planRecovery` says: the damaged file is kept beside it as
 * `state.json.damaged.<time>` and the rebuilt state becomes the new snapshot.
 */
export async function recoverStore(opts: StoreOptions): Promise<{ plan: Extract<RecoveryPlan, { ok: true }>; keptAs: string | null }> {
  const plan = planRecovery(opts);
  if (!plan.ok) throw new StoreRefusedError(opts.storeFile, `it cannot be rebuilt: ${plan.why}`);
  let keptAs: string | null = null;
  if (existsSync(opts.storeFile)) {
    keptAs = `${opts.storeFile}.damaged.${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(opts.storeFile, keptAs);
  }
  if (plan.journal.torn) cutTornTail(plan.journal.torn);
  await new DurableTextFile(opts.storeFile).write(JSON.stringify({ ...plan.state, [SNAPSHOT_SEQ_KEY]: plan.throughSeq }, null, 1));
  return { plan, keptAs };
}
