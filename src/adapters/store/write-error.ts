import { MusterError } from '../../protocol/errors.js';

/** Errnos that say the disk, not the file, is the trouble: free space or fix the disk. */
const DISK_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

/** The write failed for want of a usable disk (full, over quota, read-only, I/O error). */
export function isDiskFailure(cause: unknown): boolean {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && DISK_ERRNOS.has(code);
}

/** What an errno of a failed write means to the person who has to fix it. */
export function writeFailure(file: string, cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
      return `the disk is full at ${file} (ENOSPC)`;
    case 'EDQUOT':
      return `the disk quota is used up at ${file} (EDQUOT)`;
    case 'EROFS':
      return `the filesystem holding ${file} is read-only (EROFS)`;
    case 'EIO':
      return `the device holding ${file} reported an I/O error (EIO)`;
    default:
      return `writing ${file} failed: ${(cause as Error | undefined)?.message ?? String(cause)}`;
  }
}

/** A file could not be written, so the request that needed it changed nothing. */
export class FileWriteError extends MusterError {
  constructor(
    readonly file: string,
    override readonly cause: unknown,
    message = `Nothing was changed: ${writeFailure(file, cause)}. Free space (or fix the disk) and try again.`,
  ) {
    super('failure', message);
    this.name = 'FileWriteError';
  }

  /** The errno, such as ENOSPC. */
  get errno(): string | undefined {
    return (this.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** The store could not make a change durable: it was rolled back and the request refused. */
export class StoreWriteError extends FileWriteError {
  constructor(file: string, cause: unknown) {
    super(file, cause, `The change was NOT made: ${writeFailure(file, cause)}. Free space (or fix the disk) and try again; running agents go on.`);
    this.name = 'StoreWriteError';
  }
}
