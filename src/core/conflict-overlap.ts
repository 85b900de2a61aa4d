import type { Risk, TaskId } from './task.js';

/** A change's status as `git diff --name-status` prints it (copies are reported as adds). */
export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'T';

/** One changed path between a task's base and the snapshot of its worktree. */
export interface FileChange {
  status: ChangeStatus;
  path: string;
  /** The path before a rename (`R`). */
  oldPath?: string;
}

/**
 * What the adapters gathered about one task: its declarations and its changes relative to its
 * base, uncommitted and untracked files included.
 */
export interface TaskChanges {
  task: TaskId;
  risk: Risk;
  writes: string[];
  reads: string[];
  /** The target commit the task's branch started from. */
  base: string;
  changes: FileChange[];
  /**
   * Directories that did not exist at `base` and exist in the snapshot. A change list cannot
   * tell this, so the adapter checks the candidates from `addedOrRemovedDirs` against the two
   * trees; absent means not checked, and only file/directory clashes are found.
   */
  createdDirs?: string[];
  /** Directories that existed at `base` and are gone from the snapshot; see `createdDirs`. */
  removedDirs?: string[];
}

/**
 * Why two tasks overlap. `same-path`: both change `path`. `file-vs-dir`: `path` is a file in
 * `fileOf`'s changes while the other task changes `inside`, a path under it (one adds `x`, the
 * other `x/y.ts`). `in-created-dir`/`in-removed-dir`: the other task changes `path`, inside a
 * directory `dirOf` created or removed.
 */
export type OverlapReason =
  | { kind: 'same-path'; path: string }
  | { kind: 'file-vs-dir'; path: string; fileOf: TaskId; inside: string }
  | { kind: 'in-created-dir' | 'in-removed-dir'; dir: string; dirOf: TaskId; path: string };

/** Two tasks (`a < b`) whose changes overlap; only such pairs get a `git merge-tree` check. */
export interface OverlapPair {
  a: TaskId;
  b: TaskId;
  /** Every path involved, sorted. */
  paths: string[];
  reasons: OverlapReason[];
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
export const byCodeUnit = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** Every path a change set touches, sorted and unique; a rename touches both of its paths. */
export function touchedPaths(changes: readonly FileChange[]): string[] {
  const paths = new Set<string>();
  for (const change of changes) {
    paths.add(change.path);
    if (change.oldPath !== undefined) paths.add(change.oldPath);
  }
  return [...paths].sort(byCodeUnit);
}

/** The directories above a path, outermost first: `a/b/c.ts` → `a`, `a/b`. */
export function dirPrefixes(path: string): string[] {
  const out: string[] = [];
  for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) out.push(path.slice(0, at));
  return out;
}

/**
 * Directories that gain content (above an added path, the new side of a rename) and that may
 * vanish (above a deleted path, the old side of a rename). Whether one really was created or
 * removed needs the trees: these are the candidates the adapter checks for `createdDirs` and
 * `removedDirs`.
 */
export function addedOrRemovedDirs(changes: readonly FileChange[]): { added: string[]; removed: string[] } {
  const added = new Set<string>();
  const removed = new Set<string>();
  for (const change of changes) {
    if (change.status === 'A' || change.status === 'R') for (const d of dirPrefixes(change.path)) added.add(d);
    if (change.status === 'D') for (const d of dirPrefixes(change.path)) removed.add(d);
    if (change.status === 'R' && change.oldPath !== undefined) for (const d of dirPrefixes(change.oldPath)) removed.add(d);
  }
  return { added: [...added].sort(byCodeUnit), removed: [...removed].sort(byCodeUnit) };
}

const trimSlash = (dir: string): string => dir.replace(/\/+$/, '');

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The pairs of tasks whose changes overlap: a path changed by both, a path of one that is a file
 * in the other's changes and a directory in its own, or a path of one inside a directory the
 * other created or removed. Near-linear: every path and each of its directory prefixes is looked
 * up once in an index, so the cost grows with the number of changed paths times their depth,
 * not with the square of it.
 */
export function overlapPairs(tasks: readonly TaskChanges[]): OverlapPair[] {
  // A task listed twice (two snapshots in one batch) counts once, with both change lists.
  const changesOf = new Map<TaskId, FileChange[]>();
  for (const t of tasks) changesOf.set(t.task, [...(changesOf.get(t.task) ?? []), ...t.changes]);
  const touched = new Map([...changesOf].map(([task, changes]) => [task, touchedPaths(changes)] as const));
  const owners = new Map<string, TaskId[]>();
  for (const [task, paths] of touched) for (const path of paths) push(owners, path, task);
  const dirs = new Map<string, { task: TaskId; kind: 'in-created-dir' | 'in-removed-dir' }[]>();
  for (const t of tasks) {
    for (const d of t.createdDirs ?? []) push(dirs, trimSlash(d), { task: t.task, kind: 'in-created-dir' });
    for (const d of t.removedDirs ?? []) push(dirs, trimSlash(d), { task: t.task, kind: 'in-removed-dir' });
  }

  const pairs = new Map<string, OverlapPair>();
  const add = (x: TaskId, y: TaskId, reason: OverlapReason): void => {
    const [a, b] = x < y ? [x, y] : [y, x];
    const key = `${a}:${b}`;
    const pair = pairs.get(key) ?? { a, b, paths: [], reasons: [] };
    pairs.set(key, pair);
    pair.reasons.push(reason);
  };

  for (const [path, tasksOnPath] of owners) {
    for (let i = 0; i < tasksOnPath.length; i++) {
      for (let j = i + 1; j < tasksOnPath.length; j++) add(tasksOnPath[i]!, tasksOnPath[j]!, { kind: 'same-path', path });
    }
  }
  for (const [task, paths] of touched) {
    for (const path of paths) {
      for (const dir of dirPrefixes(path)) {
        for (const other of owners.get(dir) ?? []) {
          if (other !== task) add(task, other, { kind: 'file-vs-dir', path: dir, fileOf: other, inside: path });
        }
        for (const entry of dirs.get(dir) ?? []) {
          if (entry.task !== task) add(task, entry.task, { kind: entry.kind, dir, dirOf: entry.task, path });
        }
      }
    }
  }

  for (const pair of pairs.values()) {
    const paths = new Set<string>();
    for (const r of pair.reasons) {
      paths.add(r.path);
      if (r.kind === 'file-vs-dir') paths.add(r.inside);
    }
    pair.paths = [...paths].sort(byCodeUnit);
    pair.reasons.sort((x, y) => byCodeUnit(x.path, y.path) || byCodeUnit(x.kind, y.kind) || byCodeUnit(reasonDetailKey(x), reasonDetailKey(y)));
  }
  return [...pairs.values()].sort((x, y) => x.a - y.a || x.b - y.b);
}

function reasonDetailKey(r: OverlapReason): string {
  if (r.kind === 'same-path') return '';
  if (r.kind === 'file-vs-dir') return `${r.fileOf}:${r.inside}`;
  return `${r.dirOf}:${r.dir}`;
}
