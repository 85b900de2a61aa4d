import { randomUUID } from 'node:crypto';

/** A random version 4 UUID, as agents take for a new session's id. */
export function newUuid(): string {
  return randomUUID();
}
