import type { QueueState } from './task-queue.js';

/** Everything the supervisor persists. Plain data; the store adapter writes it. */
export interface MusterState extends QueueState {
  version: number;
}

export const STATE_VERSION = 1;

export function emptyState(): MusterState {
  return { version: STATE_VERSION, nextTaskId: 1, paused: false, order: [], tasks: [] };
}

/** One line of the audit log (`events.jsonl`). */
export interface AuditEvent {
  time: string;
  actor: string;
  kind: string;
  details: Record<string, unknown>;
}
