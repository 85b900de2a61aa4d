import { matchesPath } from './glob.js';
import { describeConflict, ownerLabel, sameOwner, tryAcquire, writeLockedByOthers, type LockOwner, type LockTable } from './lock-table.js';
import { formatId, type Task, type TaskId } from './task.js';

/** Everything the edit hook's decision depends on; paths are absolute and normalised. */
export interface PreEditInput {
  task: Pick<Task, 'id' | 'risk' | 'worktree'>;
  /** The file the agent is about to write. */
  path: string;
  mainRoot: string;
  /** The worktrees of the other tasks. */
  worktrees: readonly { task: TaskId; path: string }[];
  locks: LockTable;
  now: string;
  /** How the agent reaches muster: its MCP tools, or the `muster` CLI. */
  tools: 'mcp' | 'cli';
}

/**
 * What the edit hook answers: let the edit through, let it through after taking a write lock
 * on the file for the task (`table` is the lock table with that lock), or refuse it with a
 * reason the agent can act on.
 */
export type PreEditDecision = { kind: 'allow'; path: string } | { kind: 'take-lock'; path: string; table: LockTable } | { kind: 'deny'; reason: string };

const GLOB_CHARS = /[*?[\]{}()!+@]/;

function inside(root: string, path: string): string | null {
  if (path === root) return '';
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : null;
}

/**
 * Decides an agent's edit before it happens. Only the task's own worktree may be edited; there,
 * a path another owner write-locks is refused naming the holder, and a `medium`/`high` task
 * that edits outside what it holds takes the write lock on the file when nobody is in the way
 * (else the edit is refused the same way). A `low` task runs without declared locks.
 */
export function decidePreEdit(i: PreEditInput): PreEditDecision {
  const own = i.task.worktree;
  const id = formatId(i.task.id);
  const rel = own ? inside(own, i.path) : null;
  if (rel === null || rel === '') return { kind: 'deny', reason: whereDenied(i, own) };

  const owner: LockOwner = { kind: 'task', task: i.task.id };
  const held = writeLockedByOthers(i.locks, owner, [rel]);
  if (held.length) {
    const holders = held.map(({ lock }) => `${ownerLabel(lock.owner)} (${lock.resource})`).join(', ');
    return { kind: 'deny', reason: `muster: ${rel} is write-locked by ${holders}; ${id} may not edit it. ${wayForward(rel, i.tools)}` };
  }
  if (i.task.risk === 'low') return { kind: 'allow', path: rel };
  const covered = i.locks.locks.some((l) => l.mode === 'write' && sameOwner(l.owner, owner) && matchesPath(l.resource, rel));
  // A file name with glob characters cannot be named by a lock pattern: nothing to take.
  if (covered || GLOB_CHARS.test(rel)) return { kind: 'allow', path: rel };
  const grant = tryAcquire(i.locks, owner, [{ resource: rel, mode: 'write' }], i.now);
  if (grant.ok) return { kind: 'take-lock', path: rel, table: grant.table };
  const why = grant.conflicts.map(describeConflict).join('; ');
  return { kind: 'deny', reason: `muster: ${rel} is outside ${id}'s declared writes, and its lock cannot be taken: ${why}. ${wayForward(rel, i.tools)}` };
}

function whereDenied(i: PreEditInput, own: string | null): string {
  const id = formatId(i.task.id);
  const yours = own ? `work in your own worktree, ${own}` : 'wait until your worktree exists';
  for (const w of i.worktrees) {
    const rel = inside(w.path, i.path);
    if (rel !== null)
      return `muster: ${i.path} is in the worktree of ${formatId(w.task)}; every task edits only its own worktree. ${own && rel ? `Edit ${own}/${rel} instead.` : `${id}: ${yours}.`}`;
  }
  const inMain = inside(i.mainRoot, i.path);
  if (inMain !== null)
    return `muster: ${i.path} is in the operator's main checkout; agents never edit it. ${own && inMain ? `Edit ${own}/${inMain} instead.` : `${id}: ${yours}.`}`;
  if (own && i.path === own) return `muster: ${i.path} is the worktree itself, not a file in it.`;
  return `muster: ${i.path} is outside the repository; ${id} edits only files in its worktree (${own ?? 'not created yet'}).`;
}

function wayForward(rel: string, tools: 'mcp' | 'cli'): string {
  const json = JSON.stringify(rel);
  return tools === 'mcp'
    ? `Ways forward: wait for the lock (lock_acquire {"paths": [${json}], "wait_seconds": 600}), work on something else meanwhile, or record a blocker for the operator (context_add with section "blockers").`
    : `Ways forward: wait for the lock (muster lock acquire ${json} --wait 600), work on something else meanwhile, or record a blocker for the operator (muster context add --section blockers "...").`;
}
