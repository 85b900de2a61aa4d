import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

/**
 * An agent's raw terminal output on disk, bounded: at `maxBytes` the file is rotated to
 * `.1`, `.2`, ... and only `keep` old files are kept.
 */
export class TerminalLog {
  private fd: number;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = statSync(file).size;
  }

  write(data: string): void {
    const buf = Buffer.from(data, 'utf8');
    if (this.size + buf.length > this.maxBytes && this.size > 0) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
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

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
