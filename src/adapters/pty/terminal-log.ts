import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writev, writevSync } from 'node:fs';

const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 100;

/**
 * An agent's raw terminal output on disk, bounded: at `maxBytes` the file is rotated to
 * `.1`, `.2`, ... and only `keep` old files are kept. Output is gathered for up to 100 ms
 * (or 256 KB) and written off the main thread, one write in flight at a time: a synchronous
 * write per PTY chunk stalled a flooding agent's supervisor whenever the kernel throttled
 * dirty pages. The log is a record for people, never the result of a task.
 */
export class TerminalLog {
  private fd: number;
  private size: number;
  // Encoded chunk by chunk: joining thousands of PTY strings first cost 3× the encoding.
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private closed = false;
  private readonly drained: (() => void)[] = [];

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = statSync(file).size;
  }

  /** Output as the program wrote it (bytes), or text, encoded as UTF-8. */
  write(data: string | Buffer): void {
    if (this.closed) return;
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.pending.push(buf);
    this.pendingLength += buf.length;
    if (this.pendingLength >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Starts writing what was gathered, unless a write is in flight (it goes next). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing || !this.pending.length) return;
    const { bufs, length } = this.take();
    this.writing = true;
    writev(this.fd, bufs, null, (err) => {
      this.writing = false;
      if (!err) this.size += length;
      for (const done of this.drained.splice(0)) done();
      if (this.closed) return this.closeNow();
      if (this.pendingLength >= FLUSH_BYTES) this.flush();
      else if (this.pending.length && !this.timer) {
        this.timer = setTimeout(() => this.flush(), FLUSH_MS);
        this.timer.unref();
      }
    });
  }

  /** Up to about FLUSH_BYTES of what is pending, rotating first if it would pass the bound. */
  private take(): { bufs: Buffer[]; length: number } {
    let n = 0;
    let length = 0;
    while (n < this.pending.length && length < FLUSH_BYTES) length += this.pending[n++]!.length;
    const bufs = this.pending.splice(0, n);
    this.pendingLength -= length;
    if (this.size + length > this.maxBytes && this.size > 0) this.rotate();
    return { bufs, length };
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    if (this.keep > 0) renameSync(this.file, `${this.file}.1`);
    else rmSync(this.file, { force: true });
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = 0;
  }

  /**
   * Resolves once everything written so far is on disk (the write in flight, then the rest at
   * once), so the files can be read as the whole record up to this moment.
   */
  async drain(): Promise<void> {
    while (this.writing) await new Promise<void>((r) => this.drained.push(r));
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.pending.length) {
      const { bufs, length } = this.take();
      writevSync(this.fd, bufs);
      this.size += length;
    }
  }

  /** Writes what is left and closes the file (after the write in flight, if any). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.writing) this.closeNow();
  }

  private closeNow(): void {
    try {
      while (this.pending.length) {
        const { bufs, length } = this.take();
        writevSync(this.fd, bufs);
        this.size += length;
      }
    } catch {
      // the disk refused the last lines; the emulator still has them
    }
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** A log and its rotations, oldest first: what `muster log` and the scrollback read, in order. */
export function logFiles(file: string, keep: number): string[] {
  const rotated = Array.from({ length: keep }, (_, i) => `${file}.${keep - i}`);
  return [...rotated, file].filter((f) => existsSync(f));
}

/** The bytes of a log and its rotations, oldest first, as one buffer. */
export function readLog(file: string, keep: number): Buffer {
  return Buffer.concat(logFiles(file, keep).map((f) => readFileSync(f)));
}

/** The last `maxBytes` (or fewer) of a log and its rotations, as text. */
export function readLogTail(file: string, keep: number, maxBytes: number): string {
  const parts: Buffer[] = [];
  let size = 0;
  for (const f of logFiles(file, keep).reverse()) {
    if (size >= maxBytes) break;
    const bytes = readFileSync(f);
    parts.unshift(bytes.subarray(Math.max(0, bytes.length - (maxBytes - size))));
    size += Math.min(bytes.length, maxBytes - size);
  }
  return Buffer.concat(parts).toString('utf8');
}
