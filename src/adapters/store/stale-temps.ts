import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, another user's.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner pid a temp name carries right after `prefix` (`<prefix><pid>.` or `<prefix><pid>-`), if any. */
function ownerPid(name: string, prefix: string): number | null {
  const m = /^(\d+)[.-]/.exec(name.slice(prefix.length));
  return m ? Number(m[1]) : null;
}

/**
 * Removes the entries of `dir` named `<prefix><pid>…<suffix>` whose pid is not running: temp
 * files of writers killed between writing and renaming. A live pid may be a reused one; its
 * entry stays (a small leak, never a file someone is writing). Entries of other users stay.
 * Returns the names removed.
 */
export function removeStaleTemps(dir: string, prefix: string, suffix = '', opts: { legacyOlderThanMs?: number } = {}): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (uid !== undefined && st.uid !== uid) continue;
      const pid = ownerPid(name, prefix);
      const stale = pid !== null ? !isAlive(pid) : opts.legacyOlderThanMs !== undefined && Date.now() - st.mtimeMs > opts.legacyOlderThanMs;
      if (!stale) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
  return removed;
}

/**
 * Removes the temp files of prompt writes a killed writer left in each task's directory
 * (`tasks/<id>/.prompt.txt.<pid>.<random>.tmp`). Returns the paths removed, relative to
 * `tasksDir`.
 */
export function removeStalePromptTemps(tasksDir: string): string[] {
  let ids: string[];
  try {
    ids = readdirSync(tasksDir);
  } catch {
    return [];
  }
  return ids.filter((id) => /^\d+$/.test(id)).flatMap((id) => removeStaleTemps(join(tasksDir, id), '.prompt.txt.', '.tmp').map((name) => `${id}/${name}`));
}
