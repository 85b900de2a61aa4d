import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { refuse, ok, type Result } from '../../core/result.js';
import { formatId, type PromptRef, type Task } from '../../core/task.js';
import { syncDirSync, writeFileAtomicSync } from './atomic-write.js';
import { FileWriteError } from './write-error.js';

/** A prompt that could not be written; nothing refers to it yet. */
export class PromptWriteError extends Error {
  /** The failed system call's error (its `code` is the errno), unwrapped from the atomic write's report. */
  declare readonly cause: unknown;

  constructor(
    readonly file: string,
    why: unknown,
  ) {
    // The atomic write reports its own FileWriteError, whose `code` is the protocol's
    // 'failure': the errno the operator has to act on is the one it wraps.
    const cause = why instanceof FileWriteError ? why.cause : why;
    super(`the prompt could not be written to ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, { cause });
    this.name = 'PromptWriteError';
  }

  /** The errno, such as ENOSPC or EEXIST. */
  get errno(): string | undefined {
    return (this.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/**
 * Writes a task's prompt to its own file, durably, before the task that refers to it is
 * committed: a task in the store always has its prompt on disk. Synchronous, so no other
 * request takes the same task id between choosing it and writing. Throws `PromptWriteError`.
 */
export function writePrompt(stateDir: string, ref: PromptRef, text: string): void {
  const file = join(stateDir, ref.file);
  const dir = dirname(file);
  try {
    const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(file, text, 0o600);
    // The rename, and any directory made for it, must survive a crash like the store does.
    for (let d = dir; ; d = dirname(d)) {
      syncDirSync(d);
      if (!created || d === created || d === dirname(d)) break;
    }
    if (created) syncDirSync(dirname(created));
  } catch (e) {
    throw new PromptWriteError(file, e);
  }
}

/** A task's prompt text, wherever it is kept; a missing or unreadable file is a refusal that names it. */
export function readPrompt(stateDir: string, task: Pick<Task, 'id' | 'prompt'>): Result<string> {
  const file = join(stateDir, task.prompt.file);
  try {
    return ok(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return refuse(
      'not-found',
      `the prompt of ${formatId(task.id)} cannot be read from ${file} (${code}); restore that file, or add the task again with its prompt`,
    );
  }
}
