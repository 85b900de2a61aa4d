import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The path as a write would reach it: absolute, `..` resolved, and every symlink on the way
 * followed — a link inside the worktree to the main checkout or another worktree is where the
 * write lands, and a dangling link is followed too (writing through it creates its target).
 */
export function reachedPath(path: string, hops = 0): string {
  let probe = path;
  while (!lexists(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const rest = path.slice(probe.length);
  try {
    return realpathSync(probe) + rest;
  } catch {
    if (hops >= 40) return path;
    try {
      return reachedPath(resolve(realpathSync(dirname(probe)), readlinkSync(probe)) + rest, hops + 1);
    } catch {
      return path;
    }
  }
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
