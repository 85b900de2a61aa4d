import { readdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { syncDirSync, writeFileAtomicSync } from './atomic-write.js';

/**
 * A lowdb adapter whose writes survive `kill -9` and power loss: a unique temp file, fsync,
 * rename over the old file, fsync of the directory. lowdb's own adapters reuse one temp name
 * and never fsync. Reads return the raw text; the store decides whether it is valid.
 */
export class DurableTextFile implements Adapter<string> {
  constructor(readonly file: string) {}

  async read(): Promise<string | null> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async write(text: string): Promise<void> {
    writeFileAtomicSync(this.file, text, 0o600);
    syncDirSync(dirname(this.file));
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
