import { existsSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/**
 * Calls `onChange` (debounced) whenever a file is written, replaced or created; editors and
 * muster itself replace files by rename, which chokidar's atomic mode reports as a change.
 */
export function watchFile(file: string, onChange: () => void, debounceMs = 50): { close: () => Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watcher: FSWatcher = watch(file, { ignoreInitial: true, atomic: true, awaitWriteFinish: false });
  watcher.on('add', fire).on('change', fire).on('unlink', fire);
  return {
    close: async () => {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/**
 * Like `watchFile`, for a file that may not exist yet, nor its directory: chokidar sees
 * nothing of a path missing when the watch starts, so the nearest existing directory above it
 * is watched instead, ignoring everything but the way down to the file.
 */
export function watchPath(file: string, onChange: () => void, debounceMs = 50, pollMs = 2000): { close: () => Promise<void> } {
  let timer: NodeJS.Timeout | null = null;
  let seen = signature(file);
  const fire = () => {
    seen = signature(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  // A directory made and a file written in it at once can slip past the watch of the
  // directory above (seen under load): a cheap stat now and then catches what it missed.
  const poll = setInterval(() => {
    if (signature(file) !== seen) fire();
  }, pollMs);
  poll.unref();
  let root = dirname(dirname(file));
  while (!existsSync(root) && dirname(root) !== root) root = dirname(root);
  const onTheWay = (p: string) => p === file || file.startsWith(`${p}${sep}`);
  const watcher: FSWatcher = watch(root, { ignoreInitial: true, atomic: true, awaitWriteFinish: false, ignored: (p: string) => !onTheWay(p) });
  watcher.on('all', (event, p) => {
    if (p === file || (event === 'unlinkDir' && onTheWay(p))) fire();
  });
  return {
    close: async () => {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** What changes when a file is written, replaced, made or removed. */
function signature(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
