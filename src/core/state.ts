import { emptyLockTable, type LockTable } from './lock-table.js';
import type { MergeRecord, MergeRun } from './merge-plan.js';
import type { QueueState } from './task-queue.js';
import type { TaskId } from './task.js';

/** Tasks made from one spec file by `muster task import`, and the read locks of its shared resources. */
export interface SpecImportRecord {
  id: number;
  file: string;
  tasks: TaskId[];
  /** The synthetic operator owner (pid 0) of the shared-resource locks; released when every task has landed or gone. */
  ownerTag: string;
  at: string;
}

/** Everything the supervisor persists. Plain data; the store adapter writes it. */
export interface MusterState extends QueueState {
  version: number;
  locks: LockTable;
  imports: SpecImportRecord[];
  /** Blockers of the shared context the operator has acknowledged (by `blockerKey`). */
  acknowledgedBlockers: string[];
  /** Every landing, oldest first, and the approval in flight (persisted between its steps). */
  merges: MergeRecord[];
  mergeRun: MergeRun | null;
  /** The last approval outcome of each task that did not land, for the merges view. */
  mergeResults: MergeResultRecord[];
}

/** Why a task's last approval stopped, with its gate results. */
export interface MergeResultRecord {
  task: TaskId;
  at: string;
  landed: boolean;
  reason: string | null;
  message: string;
  gate: { name: string; output: string } | null;
  paths: string[];
  gates: { name: string; ok: boolean }[];
}

/** 2: prompts moved out of the store into `tasks/<id>/prompt.txt`; 3: tasks record their setup progress. */
export const STATE_VERSION = 3;

export function emptyState(): MusterState {
  return {
    version: STATE_VERSION,
    nextTaskId: 1,
    paused: false,
    order: [],
    tasks: [],
    locks: emptyLockTable(),
    imports: [],
    acknowledgedBlockers: [],
    merges: [],
    mergeRun: null,
    mergeResults: [],
  };
}

/** One line of the audit log (`events.jsonl`). */
export interface AuditEvent {
  time: string;
  actor: string;
  kind: string;
  details: Record<string, unknown>;
}
