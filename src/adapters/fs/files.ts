import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';

/** Whether anything is at `path` (a dangling symlink is nothing). */
export function pathExists(path: string): boolean {
  return existsSync(path);
}

/** Whether `path` is a directory; false when nothing is there. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Creates a directory and its parents (there already is fine). */
export function ensureDir(path: string, mode?: number): void {
  mkdirSync(path, { recursive: true, ...(mode === undefined ? {} : { mode }) });
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * Writes a file in place, its directory created first. Not atomic: for files only their
 * writer reads back (markers, generated scripts, agents' prompt and settings files); state
 * goes through the store's atomic writes.
 */
export function writeText(path: string, content: string, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, mode === undefined ? undefined : { mode });
}

/** Copies `from` to `to` unless `from` is missing or `to` exists; true when it copied. */
export function copyIfAbsent(from: string, to: string): boolean {
  if (!existsSync(from) || existsSync(to)) return false;
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  return true;
}

/** The system's directory for temporary files (TMPDIR, else /tmp). */
export function tempDir(): string {
  return tmpdir();
}
