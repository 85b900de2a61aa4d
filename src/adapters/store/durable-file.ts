import { constants } from 'node:fs';
import { copyFile, link, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { tempName } from './atomic-write.js';

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * A lowdb adapter whose writes survive `kill -9` and power loss: a unique temp file, fsync,
 * rename over the old file, fsync of the directory. lowdb's own adapters reuse one temp name
 * and never fsync. The file it replaces is kept as `<file>.prev`, the last good copy to recover
 * from. Writes go through the thread pool: the store writes a snapshot while it goes on
 * committing to its journal. Reads return the raw text; the store decides whether it is valid.
 */
export class DurableTextFile implements Adapter<string> {
  constructor(readonly file: string) {}

  /** The copy of the file before the last write. */
  get previous(): string {
    return `${this.file}.prev`;
  }

  async read(): Promise<string | null> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async write(text: string): Promise<void> {
    const dir = dirname(this.file);
    const tmp = tempName(this.file);
    const prevTmp = tempName(this.previous);
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.keepPrevious(prevTmp);
      await rename(tmp, this.file);
      await syncDir(dir);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      await unlink(prevTmp).catch(() => undefined);
      throw e;
    }
  }

  /** The current file becomes `.prev` (a hard link, so the file itself never goes missing). */
  private async keepPrevious(prevTmp: string): Promise<void> {
    try {
      await link(this.file, prevTmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // A filesystem without hard links gets a copy.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
      await copyFile(this.file, prevTmp);
    }
    await rename(prevTmp, this.previous);
  }

  /** Removes temp files left by a writer that was killed between open and rename. */
  async removeLeftovers(): Promise<void> {
    const dir = dirname(this.file);
    const prefix = `.${basename(this.file)}.`;
    for (const name of await readdir(dir)) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}
