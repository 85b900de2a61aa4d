import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { AuditEvent } from '../../core/state.js';
import { syncDirSync } from './atomic-write.js';
import type { StateDelta } from './state-delta.js';

/** One committed change: its audit events and what it did to the state. */
export interface JournalRecord extends StateDelta {
  /** 1, 2, 3, … across segments; the snapshot names the last one it holds. */
  seq: number;
  /** Schema version of the state the change applies to. */
  v: number;
  events: AuditEvent[];
}

// Each line is JSON with the record's own text checksummed, so the check never depends on
// re-serialising: {"c":"<crc32 hex>","r":<record>}
const HEAD = '{"c":"';
const MID = '","r":';
const PREFIX_LENGTH = HEAD.length + 8 + MID.length;

/** The journal line of a record. */
export function encodeRecord(record: JournalRecord): string {
  const body = JSON.stringify(record);
  return `${HEAD}${crc32(body).toString(16).padStart(8, '0')}${MID}${body}}\n`;
}

function decodeLine(line: string): { ok: true; record: JournalRecord } | { ok: false; why: string } {
  if (!line.startsWith(HEAD) || line.slice(HEAD.length + 8, PREFIX_LENGTH) !== MID || !line.endsWith('}'))
    return { ok: false, why: 'it is not a journal line' };
  const body = line.slice(PREFIX_LENGTH, -1);
  if (crc32(body).toString(16).padStart(8, '0') !== line.slice(HEAD.length, HEAD.length + 8)) return { ok: false, why: 'its checksum does not match' };
  try {
    const record = JSON.parse(body) as JournalRecord;
    if (!Number.isInteger(record.seq) || !Number.isInteger(record.v) || !Array.isArray(record.events))
      return { ok: false, why: 'it lacks a sequence number, version or events' };
    return { ok: true, record };
  } catch (e) {
    return { ok: false, why: `it is not valid JSON (${(e as Error).message})` };
  }
}

const SEGMENT = /^(\d{12})\.jsonl$/;

/** The file name of the segment whose first record is `seq`. */
export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.jsonl`;
}

/** A journal segment on disk: the records from `first` on. */
export interface Segment {
  first: number;
  file: string;
}

export function listSegments(dir: string): Segment[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .flatMap((n) => {
      const m = SEGMENT.exec(n);
      return m ? [{ first: Number(m[1]), file: join(dir, n) }] : [];
    })
    .sort((a, b) => a.first - b.first);
}

/** The journal cannot be replayed as it is: a record in the middle is damaged or missing. */
export class JournalDamagedError extends Error {}

/** What reading the journal found. */
export interface JournalRead {
  /** Valid records after `after`, in order. */
  records: JournalRecord[];
  /** The last valid sequence number in the journal (`after` when it holds nothing newer). */
  lastSeq: number;
  /** The first sequence number the journal can replay from, or null when it has no records. */
  firstSeq: number | null;
  /** The number the next record appended to the last segment must have. */
  nextSeq: number;
  /** A half-written last record (the writer was killed mid-append): where the good part ends. */
  torn: { file: string; validBytes: number; bytes: number } | null;
  /** Bytes of the segments read. */
  bytes: number;
}

/**
 * Reads the records newer than `after`. A damaged last record is a write that never finished
 * (and was never acknowledged): it is reported as torn. A damaged record with valid ones after
 * it, or a gap in the numbering, is damage the journal cannot explain, and is refused.
 */
export function readJournal(dir: string, after: number): JournalRead {
  const segments = listSegments(dir);
  const records: JournalRecord[] = [];
  let torn: JournalRead['torn'] = null;
  let damage: string | null = null;
  let expected: number | null = null;
  let firstSeq: number | null = null;
  let lastSeq = after;
  let bytes = 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    // A segment whose successor starts at or before `after + 1` holds nothing newer.
    if ((segments[i + 1]?.first ?? Infinity) <= after + 1) continue;
    const buf = readFileSync(seg.file);
    bytes += buf.length;
    let offset = 0;
    let lineNo = 0;
    while (offset < buf.length) {
      if (damage) {
        // NUL bytes after a power loss belong to the same unfinished write.
        if (buf.subarray(offset).every((b) => b === 0 || b === 0x0a)) break;
        throw new JournalDamagedError(`${damage}, and more of the journal follows it`);
      }
      lineNo++;
      const nl = buf.indexOf(0x0a, offset);
      const decoded = nl === -1 ? ({ ok: false, why: 'it was never finished' } as const) : decodeLine(buf.toString('utf8', offset, nl));
      if (!decoded.ok) {
        damage = `line ${lineNo} of ${seg.file} is damaged (${decoded.why})`;
        torn = { file: seg.file, validBytes: offset, bytes: buf.length };
        offset = nl === -1 ? buf.length : nl + 1;
        continue;
      }
      const r = decoded.record;
      expected ??= seg.first;
      if (r.seq !== expected)
        throw new JournalDamagedError(`line ${lineNo} of ${seg.file} is change ${r.seq}, but change ${expected} was expected: changes are missing or repeated`);
      expected = r.seq + 1;
      firstSeq ??= r.seq;
      lastSeq = Math.max(lastSeq, r.seq);
      if (r.seq > after) records.push(r);
      offset = nl + 1;
    }
  }
  if (records.length && records[0]!.seq !== after + 1) {
    throw new JournalDamagedError(
      `the journal's first change after the snapshot is ${records[0]!.seq}, but the snapshot ends at change ${after}: changes are missing`,
    );
  }
  const nextSeq = expected ?? segments.at(-1)?.first ?? after + 1;
  return { records, lastSeq, firstSeq, nextSeq, torn, bytes };
}

/**
 * Appends records to the newest segment, each made durable by one fdatasync before `append`
 * returns. A write that fails is cut off again, so the file only ever ends in whole records.
 */
export class JournalWriter {
  private fd: number;
  private size: number;
  private dirty = false;
  private segment: Segment;

  private constructor(
    readonly dir: string,
    segment: Segment,
  ) {
    this.segment = segment;
    this.fd = openSync(segment.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Opens the newest segment for appending when `continueLast` (its next record is `nextSeq`),
   * or starts a segment at `nextSeq`.
   */
  static open(dir: string, nextSeq: number, continueLast: boolean): JournalWriter {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const last = listSegments(dir).at(-1);
    if (last && continueLast) return new JournalWriter(dir, last);
    const w = new JournalWriter(dir, { first: nextSeq, file: join(dir, segmentName(nextSeq)) });
    syncDirSync(dir);
    return w;
  }

  get file(): string {
    return this.segment.file;
  }

  /** Bytes in the current segment. */
  get bytes(): number {
    return this.size;
  }

  append(line: string): void {
    if (this.dirty) {
      ftruncateSync(this.fd, this.size);
      this.dirty = false;
    }
    const buf = Buffer.from(line, 'utf8');
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
      fdatasyncSync(this.fd);
      this.size += buf.length;
    } catch (e) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // Cut off before the next append instead.
        this.dirty = true;
      }
      throw e;
    }
  }

  /** Continues in a new segment whose first record will be `nextSeq`. */
  rotate(nextSeq: number): void {
    const seg = { first: nextSeq, file: join(this.dir, segmentName(nextSeq)) };
    const fd = openSync(seg.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      syncDirSync(this.dir);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    closeSync(this.fd);
    this.fd = fd;
    this.size = 0;
    this.dirty = false;
    this.segment = seg;
  }

  /** Removes the segments that hold only changes up to `seq` (never the current one). */
  removeThrough(seq: number): void {
    const segments = listSegments(this.dir);
    for (let i = 0; i + 1 < segments.length; i++) {
      if (segments[i + 1]!.first <= seq + 1 && segments[i]!.file !== this.segment.file) unlinkSync(segments[i]!.file);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Cuts a torn last record off its segment, so appends continue after whole records. */
export function cutTornTail(torn: NonNullable<JournalRead['torn']>): void {
  const fd = openSync(torn.file, 'r+');
  try {
    ftruncateSync(fd, torn.validBytes);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
