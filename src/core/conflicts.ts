import { cachedPaths, filterMatching, pathsMatching } from './conflict-match.js';
import { byCodeUnit, overlapPairs, type OverlapPair, type OverlapReason, type TaskChanges } from './conflict-overlap.js';
import { lockState, ownerLabel, sameOwner, type Lock, type LockOwner, type LockTable } from './lock-table.js';
import { formatId, type TaskId } from './task.js';

export {
  addedOrRemovedDirs,
  dirPrefixes,
  overlapPairs,
  touchedPaths,
  type ChangeStatus,
  type FileChange,
  type OverlapPair,
  type OverlapReason,
  type TaskChanges,
} from './conflict-overlap.js';

/** The kinds of §8, in the order they are listed and shown. */
export const CONFLICT_KINDS = ['overlap', 'merge', 'lock', 'undeclared', 'stale', 'port', 'scan-failed'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

/**
 * One finding, shaped like `muster conflicts --json`. `tasks` puts the task at fault first (the
 * lock violator, then the holder); pairs are ascending.
 */
export interface Conflict {
  kind: ConflictKind;
  tasks: TaskId[];
  paths: string[];
  detail: string;
}

/** The outcome of one `git merge-tree --write-tree`: a task against another task, or against the target. */
export interface MergeCheck {
  a: TaskId;
  b: TaskId | 'target';
  /** From merge-tree's exit code, never from its file list. */
  clean: boolean;
  paths: string[];
}

/** A port of a task's slot and who listens on it; `foreign` is a process that is not the task's. */
export interface PortHolding {
  task: TaskId;
  port: number;
  pid: number | null;
  owner: 'task' | 'foreign';
  command?: string | null;
}

/** Everything one conflict scan looks at; the parts not gathered yet are left out. */
export interface ConflictInput {
  /** The target branch's name, for messages (`main moved since #3 started`). */
  target: string;
  tasks: readonly TaskChanges[];
  locks?: LockTable;
  /** Marks stale write locks as such in messages. */
  now?: string;
  /** Per task, the paths changed on the target since the task's base. */
  targetChangesSince?: ReadonlyMap<TaskId, readonly string[]>;
  merges?: readonly MergeCheck[];
  ports?: readonly PortHolding[];
  /** Tasks whose worktree could not be snapshotted, with what went wrong: their conflicts are unknown. */
  scanFailures?: readonly ScanFailure[];
}

/** A task the scan could not look at, and why (git's own words). */
export interface ScanFailure {
  task: TaskId;
  error: string;
}

/** `a`, `a and b`, `a, b and c`, `a, b, c and 4 more`. */
export function listOf(items: readonly string[], max = 3): string {
  if (items.length <= 1) return items[0] ?? '';
  if (items.length <= max) return `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function describeReasons(a: TaskId, b: TaskId, reasons: readonly OverlapReason[]): string {
  const parts: string[] = [];
  const same = reasons.filter((r) => r.kind === 'same-path').map((r) => r.path);
  if (same.length > 0) parts.push(`${formatId(a)} and ${formatId(b)} both change ${listOf(same)}`);
  const seen = new Set<string>();
  for (const r of reasons) {
    if (r.kind === 'same-path') continue;
    const key = r.kind === 'file-vs-dir' ? `${r.kind}:${r.fileOf}:${r.path}` : `${r.kind}:${r.dirOf}:${r.dir}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (r.kind === 'file-vs-dir') {
      const other = r.fileOf === a ? b : a;
      parts.push(`${r.path} is a file in ${formatId(r.fileOf)}'s changes and a directory in ${formatId(other)}'s (${r.inside})`);
    } else {
      const other = r.dirOf === a ? b : a;
      const verb = r.kind === 'in-created-dir' ? 'created' : 'removed';
      parts.push(`${formatId(r.dirOf)} ${verb} ${r.dir}/, where ${formatId(other)} changes ${r.path}`);
    }
  }
  return parts.join('; ');
}

/** One `overlap` finding per overlapping pair. */
export function overlapFindings(pairs: readonly OverlapPair[]): Conflict[] {
  return pairs.map((p) => ({ kind: 'overlap', tasks: [p.a, p.b], paths: [...p.paths], detail: describeReasons(p.a, p.b, p.reasons) }));
}

/** `kind: 'merge'` findings from the merge-tree checks that did not come out clean. */
export function mergeFindings(results: readonly MergeCheck[], target: string): Conflict[] {
  return results
    .filter((r) => !r.clean)
    .map((r) => {
      const paths = [...new Set(r.paths)].sort(byCodeUnit);
      if (r.b === 'target') {
        const detail =
          paths.length > 0 ? `${formatId(r.a)} conflicts with ${target} in ${listOf(paths)}` : `${formatId(r.a)} does not merge cleanly into ${target}`;
        return { kind: 'merge', tasks: [r.a], paths, detail };
      }
      const [a, b] = r.a < r.b ? [r.a, r.b] : [r.b, r.a];
      const detail =
        paths.length > 0
          ? `${formatId(a)} and ${formatId(b)} will conflict in ${listOf(paths)} when both are merged`
          : `${formatId(a)} and ${formatId(b)} do not merge cleanly together`;
      return { kind: 'merge', tasks: [a, b], paths, detail };
    });
}

/**
 * A task changed a path write-locked by another owner (a task or the operator) — a commit that
 * bypassed the commit guard, or uncommitted edits. Stale locks count: expired is not free.
 */
export function lockFindings(tasks: readonly TaskChanges[], locks: LockTable, now?: string): Conflict[] {
  const writeLocks = locks.locks.filter((l) => l.mode === 'write');
  const out: Conflict[] = [];
  for (const t of tasks) {
    const me: LockOwner = { kind: 'task', task: t.task };
    for (const lock of writeLocks) {
      if (sameOwner(lock.owner, me)) continue;
      const hit = pathsMatching(t.changes, lock.resource);
      if (hit.length === 0) continue;
      out.push({
        kind: 'lock',
        tasks: lock.owner.kind === 'task' ? [t.task, lock.owner.task] : [t.task],
        paths: [...hit],
        detail: describeLock(t.task, hit, lock, now),
      });
    }
  }
  return out;
}

function describeLock(task: TaskId, paths: readonly string[], lock: Lock, now: string | undefined): string {
  const stale = now !== undefined && lockState(lock, now) === 'stale' ? ', stale' : '';
  return `${formatId(task)} changed ${listOf(paths)}, write-locked by ${ownerLabel(lock.owner)} (${lock.resource}${stale})`;
}

/**
 * A `medium`/`high` task changed a path none of its `writes` match; `low` tasks run without
 * declarations and are exempt, and so is a task that declared no writes: every change of it
 * would count, a wall of findings for a user who never declares. With `locks`, a path under a
 * write lock the task took at runtime counts as declared: the agent announced it the way §6 asks.
 */
export function undeclaredFindings(tasks: readonly TaskChanges[], locks?: LockTable): Conflict[] {
  const out: Conflict[] = [];
  for (const t of tasks) {
    if (t.risk === 'low' || t.writes.length === 0) continue;
    const me: LockOwner = { kind: 'task', task: t.task };
    const own = (locks?.locks ?? []).filter((l) => l.mode === 'write' && sameOwner(l.owner, me)).map((l) => l.resource);
    const allowed = new Set([...t.writes, ...own].flatMap((pattern) => pathsMatching(t.changes, pattern)));
    const paths = cachedPaths(t.changes).filter((p) => !allowed.has(p));
    if (paths.length === 0) continue;
    out.push({
      kind: 'undeclared',
      tasks: [t.task],
      paths,
      detail: `${formatId(t.task)} (${t.risk}) changed ${listOf(paths)} outside its declared writes (${t.writes.join(', ')})`,
    });
  }
  return out;
}

/** The target moved, since a task's base, in paths the task touched or matching its `reads`. */
export function staleFindings(tasks: readonly TaskChanges[], targetChangesSince: ReadonlyMap<TaskId, readonly string[]>, target: string): Conflict[] {
  const out: Conflict[] = [];
  for (const t of tasks) {
    const changed = targetChangesSince.get(t.task) ?? [];
    if (changed.length === 0) continue;
    const touched = new Set(cachedPaths(t.changes));
    const unique = [...new Set(changed)];
    const read = new Set(t.reads.flatMap((pattern) => filterMatching(unique, pattern)));
    const paths = unique.filter((p) => touched.has(p) || read.has(p)).sort(byCodeUnit);
    if (paths.length === 0) continue;
    out.push({ kind: 'stale', tasks: [t.task], paths, detail: `${target} moved since ${formatId(t.task)} started: ${listOf(paths)} changed there` });
  }
  return out;
}

/**
 * A port of a task's slot held by a process outside the task; one finding per task. The same
 * holder seen twice (an IPv4 and an IPv6 listener) is named once.
 */
export function portFindings(held: readonly PortHolding[]): Conflict[] {
  const byTask = new Map<TaskId, Map<string, PortHolding>>();
  for (const h of held) {
    if (h.owner !== 'foreign') continue;
    const seen = byTask.get(h.task) ?? new Map<string, PortHolding>();
    byTask.set(h.task, seen);
    seen.set(`${h.port}:${h.pid}`, h);
  }
  return [...byTask].map(([task, seen]) => {
    const hs = [...seen.values()].sort((x, y) => x.port - y.port || (x.pid ?? -1) - (y.pid ?? -1));
    const holder = (h: PortHolding): string => (h.pid === null ? 'an unknown process' : `pid ${h.pid}${h.command ? ` (${h.command})` : ''}`);
    const only = hs.length === 1 ? hs[0] : undefined;
    const detail = only
      ? `port ${only.port} of ${formatId(task)}'s slot is held by ${holder(only)}, outside the task`
      : `ports of ${formatId(task)}'s slot are held by processes outside the task: ${listOf(
          hs.map((h) => `${h.port} by ${holder(h)}`),
          hs.length,
        )}`;
    return { kind: 'port', tasks: [task], paths: [], detail };
  });
}

/**
 * `kind: 'scan-failed'` findings: a task whose worktree could not be snapshotted is in no
 * other finding (its changes are unknown), and says so instead of looking conflict-free.
 */
export function scanFailedFindings(failures: readonly ScanFailure[]): Conflict[] {
  return failures.map((f) => ({
    kind: 'scan-failed',
    tasks: [f.task],
    paths: [],
    detail: `${formatId(f.task)}'s worktree could not be scanned (${f.error}); its conflicts are unknown until a scan succeeds`,
  }));
}

function compareConflicts(x: Conflict, y: Conflict): number {
  const kind = CONFLICT_KINDS.indexOf(x.kind) - CONFLICT_KINDS.indexOf(y.kind);
  if (kind !== 0) return kind;
  for (let i = 0; i < Math.min(x.tasks.length, y.tasks.length); i++) {
    const d = x.tasks[i]! - y.tasks[i]!;
    if (d !== 0) return d;
  }
  return x.tasks.length - y.tasks.length || byCodeUnit(x.paths.join('\n'), y.paths.join('\n')) || byCodeUnit(x.detail, y.detail);
}

/** Every finding of one scan, ordered by kind, then tasks, then paths: the same input gives the same list. */
export function classifyConflicts(input: ConflictInput): Conflict[] {
  const all = [
    ...overlapFindings(overlapPairs(input.tasks)),
    ...mergeFindings(input.merges ?? [], input.target),
    ...(input.locks ? lockFindings(input.tasks, input.locks, input.now) : []),
    ...undeclaredFindings(input.tasks, input.locks),
    ...(input.targetChangesSince ? staleFindings(input.tasks, input.targetChangesSince, input.target) : []),
    ...portFindings(input.ports ?? []),
    ...scanFailedFindings(input.scanFailures ?? []),
  ];
  return all.sort(compareConflicts);
}

/** Identity of a finding for change detection; the detail is part of it because people read it. */
export function conflictKey(c: Conflict): string {
  return JSON.stringify([c.kind, c.tasks, c.paths, c.detail]);
}

/** Whether two scans found the same set of conflicts, in any order. */
export function conflictsEqual(a: readonly Conflict[], b: readonly Conflict[]): boolean {
  if (a.length !== b.length) return false;
  const x = a.map(conflictKey).sort(byCodeUnit);
  const y = b.map(conflictKey).sort(byCodeUnit);
  return x.every((k, i) => k === y[i]);
}

/** What appeared and what went away between two scans, so the supervisor can tell the operator about new ones only. */
export function diffConflicts(before: readonly Conflict[], after: readonly Conflict[]): { added: Conflict[]; removed: Conflict[] } {
  const had = new Set(before.map(conflictKey));
  const has = new Set(after.map(conflictKey));
  return { added: after.filter((c) => !had.has(conflictKey(c))), removed: before.filter((c) => !has.has(conflictKey(c))) };
}
