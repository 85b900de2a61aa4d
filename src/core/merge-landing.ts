import { listOf } from './conflicts.js';
import { formatId, type TaskId } from './task.js';

/** One quality gate's outcome on the merged result. */
export interface GateResult {
  name: string;
  ok: boolean;
  output: string;
}

/** Why an approval moved nothing; `aborted` is the operator's own reject or cancel, `interrupted` a supervisor restart before the target moved. */
export type StopReason =
  | 'conflict'
  | 'gate-failed'
  | 'gates-incomplete'
  | 'dirty-checkout'
  | 'target-moved'
  | 'nothing-to-merge'
  | 'error'
  | 'aborted'
  | 'interrupted';

/** An approval that moved nothing: the task stays in review with this reason. */
export interface MergeStopped {
  landed: false;
  reason: StopReason;
  message: string;
  gate?: { name: string; output: string };
  paths?: string[];
}

/** `Merge of #4 into main`: how every message about an approval starts. */
export const mergeSubject = (task: TaskId, target: string): string => `Merge of ${formatId(task)} into ${target}`;

/** A stop whose message starts `Merge of #4 into main stopped:` and goes on with `why`. */
export function stopped(
  run: { task: TaskId; target: string },
  reason: StopReason,
  why: string,
  extra: Pick<MergeStopped, 'gate' | 'paths'> = {},
): MergeStopped {
  return { landed: false, reason, message: `${mergeSubject(run.task, run.target)} stopped: ${why}`, ...extra };
}

export interface LandingInput {
  task: TaskId;
  target: string;
  /** The configured gate names: each must have reported a pass. */
  expectedGates: readonly string[];
  gates: readonly GateResult[];
  /** Conflicting paths from the integration, or null when it merged cleanly. */
  conflict: string[] | null;
  checkoutDirty: boolean;
  dirtyPaths?: string[];
  /** Untracked or ignored files in the main worktree that the fast-forward would overwrite. */
  inTheWay?: string[];
  /** Why git would refuse the fast-forward of the main worktree, when the paths alone do not say. */
  checkoutRefusal?: string | null;
}

/**
 * Whether an attempt may move the target, from what is known so far. `landed: true` means
 * nothing stands in the way; the compare-and-swap still has the last word. A gate counts only
 * when it reported and passed: a missing result is not a pass.
 */
export function decideLanding(input: LandingInput): { landed: true } | MergeStopped {
  const run = { task: input.task, target: input.target };
  const t = input.target;
  if (input.conflict !== null) {
    const what =
      input.conflict.length > 0
        ? `${listOf(input.conflict)} ${input.conflict.length === 1 ? 'conflicts' : 'conflict'} with ${t}`
        : `the branch does not merge cleanly into ${t}`;
    return stopped(run, 'conflict', `${what}.`, { paths: [...input.conflict] });
  }
  for (const name of input.expectedGates) {
    const result = input.gates.find((g) => g.name === name);
    if (result && !result.ok) {
      return stopped(run, 'gate-failed', `the ${name} gate failed on the merged result, so ${t} did not move.`, { gate: { name, output: result.output } });
    }
  }
  const missing = input.expectedGates.filter((name) => !input.gates.some((g) => g.name === name && g.ok));
  if (missing.length > 0)
    return stopped(run, 'gates-incomplete', `no result from the ${listOf(missing)} ${missing.length === 1 ? 'gate' : 'gates'}, so ${t} did not move.`);
  if (input.checkoutDirty) {
    const which = input.dirtyPaths && input.dirtyPaths.length > 0 ? ` (${listOf(input.dirtyPaths)})` : '';
    return stopped(
      run,
      'dirty-checkout',
      `the main worktree, where ${t} is checked out, has uncommitted changes${which}, so ${t} did not move. Commit or stash them first.`,
      { paths: [...(input.dirtyPaths ?? [])] },
    );
  }
  if (input.inTheWay && input.inTheWay.length > 0) {
    const n = input.inTheWay.length;
    return stopped(
      run,
      'dirty-checkout',
      `the main worktree, where ${t} is checked out, has ${n === 1 ? 'an untracked file' : 'untracked files'} that the landing would overwrite (${listOf(input.inTheWay)}), so ${t} did not move. Move ${n === 1 ? 'it' : 'them'} away first.`,
      { paths: [...input.inTheWay] },
    );
  }
  if (input.checkoutRefusal) {
    return stopped(
      run,
      'dirty-checkout',
      `the main worktree, where ${t} is checked out, could not be brought to the merged result (${input.checkoutRefusal}), so ${t} did not move. Fix it there first.`,
    );
  }
  return { landed: true };
}
