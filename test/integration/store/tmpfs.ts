import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../helpers/wait.js';

/** Why a small tmpfs cannot be mounted here (not root, no mount permission), or null when it can. */
export function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root (CI runs as root)';
  const dir = mkdtempSync(join(tmpdir(), 'muster-tmpfs-probe-'));
  try {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
    execFileSync('umount', [dir]);
    return null;
  } finally {
    rmdirSync(dir);
  }
}

/** A real, small filesystem that tests fill to the last byte and free again. */
export interface SmallDisk {
  dir: string;
  /** Writes a filler file until the filesystem refuses another byte. */
  fill(): void;
  /** Removes the filler. */
  free(): void;
  /** Unmounts it, waiting for processes that still have files open there. */
  unmount(): Promise<void>;
}

export function mountTmpfs(bytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'muster-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
          const buf = Buffer.alloc(size, 0x61);
          for (;;) {
            try {
              writeSync(fd, buf);
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    async unmount() {
      await waitFor(() => spawnSync('umount', [dir]).status === 0, { what: `${dir} to unmount`, timeout: 15_000, interval: 100 }).catch(() =>
        spawnSync('umount', ['-l', dir]),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
