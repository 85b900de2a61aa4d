import { watch } from 'chokidar';

/** Directories whose churn says nothing about an agent's work, and that are huge. */
const IGNORED = /(^|[/\\])(\.git|node_modules|\.venv|target|dist|\.next|\.cache)([/\\]|$)/;

/**
 * Watches a worktree for file changes (debounced by the caller), skipping .git and dependency
 * directories. A watcher that cannot start (too many watches) is simply absent: the periodic
 * rescan still catches the changes, later.
 */
export function watchTree(root: string, onChange: () => void): { close: () => Promise<void> } {
  const watcher = watch(root, { ignoreInitial: true, ignored: (p: string) => IGNORED.test(p.slice(root.length)), persistent: true });
  watcher.on('all', () => onChange());
  watcher.on('error', () => void watcher.close());
  return { close: () => watcher.close() };
}
