import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * Puts `content` at `path` for readers that may run it at any moment (a script on agents' PATH,
 * a git hook): left alone when it already holds that, else written beside it and renamed over,
 * so nobody ever runs half a file. True when it changed.
 */
export function replaceText(path: string, content: string, mode: number): boolean {
  try {
    if (readFileSync(path, 'utf8') === content && (statSync(path).mode & 0o777) === mode) return false;
  } catch {
    // not there yet
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  // The umask may have narrowed it.
  chmodSync(tmp, mode);
  renameSync(tmp, path);
  return true;
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
