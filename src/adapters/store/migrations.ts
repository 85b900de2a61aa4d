import { promptRef } from '../../core/task.js';
import { writePrompt } from './prompt-files.js';

/** What a migration may touch besides the data: the directory the store file lives in. */
export interface MigrationContext {
  dir: string;
}

/**
 * Turns a store of version `from` into version `from + 1`. A step may write files beside the
 * store; it must be safe to run again, since a crash before the migrated store is written
 * leaves the old one to be migrated on the next start.
 */
export type Migration = (data: Record<string, unknown>, ctx: MigrationContext) => Record<string, unknown>;

/**
 * 1 → 2: each task's prompt text moves to `tasks/<id>/prompt.txt` and the task keeps a
 * reference. A store with a 20 MB prompt was rewritten whole on every change.
 */
function movePromptsOut(data: Record<string, unknown>, ctx: MigrationContext): Record<string, unknown> {
  if (!Array.isArray(data.tasks)) return data;
  const tasks = data.tasks.map((task: unknown) => {
    if (task === null || typeof task !== 'object') return task;
    const { id, prompt } = task as { id?: unknown; prompt?: unknown };
    // Anything else is left for the schema check to refuse, with the old store untouched.
    if (typeof prompt !== 'string' || typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return task;
    const ref = promptRef(id, prompt);
    writePrompt(ctx.dir, ref, prompt);
    return { ...task, prompt: ref };
  });
  return { ...data, tasks };
}

/** The migration chain: entry `n` upgrades version `n` to `n + 1`. */
export const MIGRATIONS: Record<number, Migration> = {
  1: movePromptsOut,
  2: addSetupProgress,
};

/**
 * 2 → 3: each task records how far `worktrees.setup` got in its worktree. Before, setup ran
 * only when a worktree was made and the agent only after setup succeeded: a task with a
 * worktree and an agent that started had its setup complete; any other must run it again.
 */
function addSetupProgress(data: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(data.tasks)) return data;
  const tasks = data.tasks.map((t: unknown) => {
    if (!t || typeof t !== 'object' || 'setup' in t) return t;
    const task = t as { worktree?: unknown; sessions?: unknown };
    const started =
      Array.isArray(task.sessions) && task.sessions.some((s: unknown) => !!s && typeof s === 'object' && typeof (s as { pid?: unknown }).pid === 'number');
    return { ...task, setup: { done: [], complete: typeof task.worktree === 'string' && started } };
  });
  return { ...data, tasks };
}

export type MigrationOutcome =
  | { kind: 'current'; data: Record<string, unknown> }
  | { kind: 'migrated'; from: number; data: Record<string, unknown> }
  | { kind: 'newer'; version: number }
  | { kind: 'unknown-version'; version: unknown }
  | { kind: 'no-path'; from: number }
  /** A step could not do its work (a file it writes, say); the store file is untouched. */
  | { kind: 'failed'; from: number; why: string };

export function migrate(data: Record<string, unknown>, current: number, chain: Record<number, Migration>, ctx: MigrationContext): MigrationOutcome {
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return { kind: 'unknown-version', version };
  if (version > current) return { kind: 'newer', version };
  if (version === current) return { kind: 'current', data };
  // Every step must exist before any runs: a step may write files.
  for (let v = version; v < current; v++) if (!chain[v]) return { kind: 'no-path', from: v };
  let out = data;
  for (let v = version; v < current; v++) {
    try {
      out = { ...chain[v]!(out, ctx), version: v + 1 };
    } catch (e) {
      return { kind: 'failed', from: v, why: e instanceof Error ? e.message : String(e) };
    }
  }
  return { kind: 'migrated', from: version, data: out };
}
