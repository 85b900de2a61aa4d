import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** Directories whose churn says nothing about an agent's work, and that are huge. */
const IGNORED = /(^|[/\\])(\.git|node_modules|\.venv|target|dist|\.next|\.cache)([/\\]|$)/;

/**
 * Watches a worktree for file changes (debounced by the caller), skipping .git and dependency
 * directories. One inotify watch per directory, found with a walk that reads directory
 * entries only: the scanner needs "something changed under here", and chokidar stat-ed and
 * watched each of a 10,000-file worktree's files, which cost the supervisor seconds of CPU
 * at every dispatch. A directory that cannot be watched (too many watches) is simply not:
 * the periodic rescan still catches its changes, later.
 */
export function watchTree(root: string, onChange: () => void): { ready: Promise<void>; close: () => Promise<void> } {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const ignored = (path: string) => IGNORED.test(path.slice(root.length));

  const forget = (path: string) => {
    for (const [dir, w] of watchers) {
      if (dir === path || dir.startsWith(path + sep)) {
        w.close();
        watchers.delete(dir);
      }
    }
  };

  // A name that appeared or went: a new directory is watched too, a removed one forgotten.
  const renamed = async (path: string) => {
    if (ignored(path)) return;
    try {
      if ((await lstat(path)).isDirectory()) await add(path);
    } catch {
      forget(path);
    }
  };

  async function add(dir: string): Promise<void> {
    if (closed || watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (event, name) => {
        if (name && ignored(join(dir, name.toString()))) return;
        onChange();
        if (event === 'rename' && name) void renamed(join(dir, name.toString()));
      });
    } catch {
      return;
    }
    w.on('error', () => {
      w.close();
      watchers.delete(dir);
    });
    watchers.set(dir, w);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory() && !ignored(path)) await add(path);
    }
  }

  // Resolves once every directory that existed at the start is watched.
  const ready = add(root);
  return {
    ready,
    close: async () => {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
