import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { AuditEvent } from '../../core/state.js';

/** The audit log's last whole line, and where it ends (a half-written line may follow). */
function readTail(file: string): { lastLine: string | null; size: number; validBytes: number; rest: string } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lastLine: null, size: 0, validBytes: 0, rest: '' };
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    for (let want = 64 * 1024; ; want *= 4) {
      const start = Math.max(0, size - want);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const end = buf.lastIndexOf(0x0a);
      if (end === -1 && start > 0) continue;
      const before = end <= 0 ? -1 : buf.lastIndexOf(0x0a, end - 1);
      if (before === -1 && start > 0) continue;
      return { lastLine: end === -1 ? null : buf.toString('utf8', before + 1, end), size, validBytes: start + end + 1, rest: buf.toString('utf8', end + 1) };
    }
  } finally {
    closeSync(fd);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The audit log (`events.jsonl`): one JSON object per event (time, actor, kind, details, and
 * `seq`, the journal record that carries it). Lines are appended only once their record is
 * durable in the journal, so the log never holds a change that was not made; lines a crash
 * or a full disk kept from being written are written from the journal later.
 */
export class AuditLog {
  private pending: { seq: number; events: AuditEvent[] }[] = [];
  /** Where the log ends in whole lines, when a failed append could not be cut off at once. */
  private cutAt: number | null = null;

  private constructor(
    readonly file: string,
    private written: number,
  ) {}

  /**
   * Opens the log, cutting off a line a killed writer left half-written. `fallbackSeq` is what
   * a log without sequence numbers (from before the journal) is taken to hold.
   */
  static open(file: string, fallbackSeq: number): AuditLog {
    let tail = readTail(file);
    if (tail.validBytes < tail.size) {
      const fd = openSync(file, 'r+');
      try {
        // A whole line that only lacks its newline is kept; half a line is cut off.
        if (isJson(tail.rest)) writeSync(fd, '\n', tail.size);
        else ftruncateSync(fd, tail.validBytes);
      } finally {
        closeSync(fd);
      }
      tail = readTail(file);
    }
    let seq = fallbackSeq;
    if (tail.lastLine) {
      try {
        const last = JSON.parse(tail.lastLine) as { seq?: unknown };
        if (typeof last.seq === 'number') seq = last.seq;
      } catch {
        // A line someone edited by hand: nothing to learn from it.
      }
    }
    return new AuditLog(file, seq);
  }

  /** The last journal record whose events are in the log. */
  get writtenThrough(): number {
    return this.written;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Queues the events of a durable record; `write` puts them in the log. */
  add(seq: number, events: AuditEvent[]): void {
    if (seq <= this.written) return;
    if (events.length) this.pending.push({ seq, events });
    else if (!this.pending.length) this.written = seq;
  }

  /**
   * Appends what is queued. A failed append is cut off again and kept queued (the journal
   * still has it); the error is returned, not thrown: the change itself is already made.
   */
  write(): Error | null {
    if (!this.pending.length) return null;
    const text = this.pending.map((p) => p.events.map((e) => `${JSON.stringify({ ...e, seq: p.seq })}\n`).join('')).join('');
    let fd: number;
    try {
      fd = openSync(this.file, 'a', 0o600);
    } catch (e) {
      return e as Error;
    }
    let size = 0;
    try {
      if (this.cutAt !== null) {
        ftruncateSync(fd, this.cutAt);
        this.cutAt = null;
      }
      size = fstatSync(fd).size;
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
      this.written = this.pending.at(-1)!.seq;
      this.pending = [];
      return null;
    } catch (e) {
      try {
        ftruncateSync(fd, size);
      } catch {
        this.cutAt = size;
      }
      return e as Error;
    } finally {
      closeSync(fd);
    }
  }

  /** Makes the log durable: the journal records it was written from may then go. */
  sync(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
