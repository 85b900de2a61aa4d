import { ok, refuse, type Result } from './result.js';
import { utf8Length } from './task.js';

/** Where the first NUL of `text` is, as a UTF-8 byte offset (what an editor or `od` shows), or null. */
export function nulByteOffset(text: string): number | null {
  const at = text.indexOf('\0');
  return at === -1 ? null : utf8Length(text.slice(0, at));
}

/**
 * Refuses text holding a NUL byte. Every program muster hands text to (git, an agent's argv,
 * a terminal) ends a string at NUL, so what follows would be lost without a word.
 */
export function refuseNul(field: string, text: string): Result<string> {
  const at = nulByteOffset(text);
  if (at === null) return ok(text);
  return refuse('bad-input', `${field} contains a NUL byte at byte offset ${at}: remove it (everything after it would be cut off silently).`);
}
