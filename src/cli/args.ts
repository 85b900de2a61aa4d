import { readFileSync, statSync } from 'node:fs';
import { promptTooLarge } from '../core/task-queue.js';
import { MAX_PROMPT_BYTES } from '../core/task.js';
import { MusterError } from '../protocol/errors.js';

/** Accepts `3` and `#3`. */
export function parseTaskId(raw: string, what = 'task id'): number {
  const m = /^#?(\d+)$/.exec(raw.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new MusterError('bad-input', `A ${what} is a number such as 3 or #3, not "${raw}".`);
  return n;
}

/** Commander collector for repeatable options (`--writes a --writes b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A prompt file's text; one past the size limit is refused here, before it is read or sent. */
export function readPromptFile(path: string): string {
  const unreadable = (e: unknown) =>
    new MusterError('bad-input', `--prompt-file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw unreadable(e);
  }
  if (size > MAX_PROMPT_BYTES) throw new MusterError('bad-input', `--prompt-file ${path}: ${promptTooLarge(size)}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw unreadable(e);
  }
}
