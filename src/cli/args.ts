import { readFileSync } from 'node:fs';
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

export function readPromptFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new MusterError('bad-input', `--prompt-file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
}
