import { byCodeUnit, touchedPaths, type FileChange } from './conflict-overlap.js';
import { literalPrefix, matchesPath, patternsOverlap } from './glob.js';

/**
 * The literal text every matching path ends with: what follows the last wildcard of the final
 * segment (`src/*.test.ts` → `.test.ts`). Empty whenever braces, escapes, negation, extglob
 * or a subtree make the end of a match unknowable from the text.
 */
function literalSuffix(pattern: string): string {
  if (/^!|[{}()|\\]/.test(pattern) || pattern.endsWith('/')) return '';
  const last = pattern.slice(pattern.lastIndexOf('/') + 1);
  if (last === '' || last === '.' || last === '..' || last.includes('**')) return '';
  const tail = last.slice(Math.max(last.lastIndexOf('*'), last.lastIndexOf('?'), last.lastIndexOf(']')) + 1);
  return tail.includes('[') ? '' : tail;
}

/** Directory names that read as themselves inside a pattern (no glob syntax), so `dir/*` means exactly "a file in dir". */
const PLAIN_DIR = /^[\w.\- /]*$/;
/** Below this many files one directory-level intersection costs more than matching each file. */
const DIR_BATCH = 8;

/**
 * The paths `pattern` matches, sorted. Matching is the hot loop of a scan (thousands of paths on
 * every file change): a path outside the pattern's literal prefix cannot match, and when one
 * directory holds many candidates, an exact intersection with `dir/*` rules them all out at once.
 */
export function filterMatching(paths: readonly string[], pattern: string): string[] {
  const prefix = literalPrefix(pattern);
  const suffix = literalSuffix(pattern);
  // patternsOverlap takes a one-character class such as `[a]` for the text `[a]` (glob-parse
  // keeps the raw segment as its literal), so it could call a matching directory disjoint.
  const prunable = !pattern.includes('[');
  const byDir = new Map<string, string[]>();
  for (const path of paths) {
    if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) continue;
    if (!path.endsWith(suffix)) continue;
    const dir = path.slice(0, Math.max(0, path.lastIndexOf('/')));
    const files = byDir.get(dir);
    if (files) files.push(path);
    else byDir.set(dir, [path]);
  }
  const out: string[] = [];
  for (const [dir, files] of byDir) {
    if (prunable && files.length >= DIR_BATCH && PLAIN_DIR.test(dir) && !patternsOverlap(pattern, dir === '' ? '*' : `${dir}/*`)) continue;
    for (const path of files) if (matchesPath(pattern, path)) out.push(path);
  }
  return out.sort(byCodeUnit);
}

/**
 * Per change list, its touched paths and the ones each pattern matched. A scan runs on every file
 * change, yet between two scans most tasks keep the same change list object: only the task that
 * changed is matched again. Weak keys let a dropped list take its entries with it; change lists
 * are input and never mutated.
 */
const matchCache = new WeakMap<readonly FileChange[], { paths: string[]; hits: Map<string, string[]> }>();

function cached(changes: readonly FileChange[]): { paths: string[]; hits: Map<string, string[]> } {
  let entry = matchCache.get(changes);
  if (!entry) {
    entry = { paths: touchedPaths(changes), hits: new Map() };
    matchCache.set(changes, entry);
  }
  return entry;
}

/** The paths of a change list that `pattern` matches, sorted; shared, so never mutate the result. */
export function pathsMatching(changes: readonly FileChange[], pattern: string): readonly string[] {
  const entry = cached(changes);
  let hit = entry.hits.get(pattern);
  if (!hit) {
    hit = filterMatching(entry.paths, pattern);
    entry.hits.set(pattern, hit);
  }
  return hit;
}

/** The touched paths of a change list, sorted; shared, so never mutate the result. */
export function cachedPaths(changes: readonly FileChange[]): readonly string[] {
  return cached(changes).paths;
}
