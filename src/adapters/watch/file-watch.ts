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
