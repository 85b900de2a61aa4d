import { decideLanding, mergeSubject, stopped, type GateResult, type LandingInput, type MergeStopped } from './merge-landing.js';
import { refStamp, shortSha, targetRef, type MergeRecord, type MergeStrategy } from './merge-queue.js';
import { ok, refuse, type Result } from './result.js';
import { formatId, type Risk, type TaskId, type TaskState } from './task.js';

export { decideLanding, type GateResult, type LandingInput, type MergeStopped, type StopReason } from './merge-landing.js';
export {
  MERGE_STRATEGIES,
  lastLanding,
  mergeQueueOrder,
  moveMerge,
  planUndo,
  recordUndo,
  refStamp,
  skipMerge,
  targetRef,
  withMergeOrder,
  type MergeHistory,
  type MergeRecord,
  type MergeStrategy,
  type UndoOptions,
  type UndoPlan,
} from './merge-queue.js';

/** How often one approval re-merges and re-tests because the target moved under it, before it gives up. */
export const MAX_LANDING_ATTEMPTS = 5;

/**
 * One thing the supervisor does for an approval, as data. `integrate` merges `branch` onto
 * `onto` in a detached integration worktree and keeps the result under `keepAs` (so no tested
 * commit is ever unreachable); `gates` run on exactly `commit`; `check-checkout` asks whether the
 * main worktree, where the target is checked out, is clean and has nothing untracked where the
 * fast-forward from `from` to `to` would write; `backup` points `ref` at the tip
 * about to be replaced; `cas` is `git update-ref <ref> <next> <expectedOld>`;
 * `fast-forward-checkout` brings the main worktree's files from `from` to `to`.
 */
export type MergeStep =
  | { kind: 'integrate'; branch: string; onto: string; strategy: MergeStrategy; keepAs: string }
  | { kind: 'gates'; names: string[]; commit: string }
  | { kind: 'check-checkout'; target: string; from: string; to: string }
  | { kind: 'backup'; ref: string; commit: string }
  | { kind: 'cas'; ref: string; next: string; expectedOld: string }
  | { kind: 'fast-forward-checkout'; target: string; from: string; to: string };

export type MergePhase = MergeStep['kind'] | 'done';

/**
 * What running a step gave, reported back to `advance`. `failed` is an error of the step itself
 * (git crashed, a gate could not be started), not an expected outcome such as a conflict; at the
 * `cas` step it means git refused the update for another reason than the old value, so the ref
 * did not move (update-ref is all or nothing).
 */
export type StepOutcome =
  | { kind: 'integrated'; commit: string; branchTip?: string }
  | { kind: 'integration-conflicted'; paths: string[] }
  | { kind: 'gates-finished'; results: GateResult[] }
  | { kind: 'checkout-checked'; dirty: boolean; paths?: string[]; inTheWay?: string[]; refusal?: string | null }
  | { kind: 'backed-up' }
  | { kind: 'cas-succeeded' }
  | { kind: 'cas-failed'; actualTip: string }
  | { kind: 'checkout-synced' }
  | { kind: 'failed'; message: string };

/** The target moved to the tested commit; `warning` says what is left to do by hand, if anything. */
export interface MergeLanded {
  landed: true;
  record: MergeRecord;
  warning: string | null;
}

/** One approval in flight, persisted by the supervisor between steps. */
export interface MergeRun {
  task: TaskId;
  target: string;
  branch: string;
  strategy: MergeStrategy;
  gates: string[];
  targetCheckedOut: boolean;
  /** Names this approval's refs; derived from the approval time. */
  stamp: string;
  /** 1, then one more for every re-merge after the target moved. */
  attempt: number;
  /** The target tip this attempt merges onto, tests against and expects in the compare-and-swap. */
  onto: string;
  /** This attempt's integration commit, once made. */
  result: string | null;
  /** The branch's tip this attempt merged (absent in runs of older versions): what lands, as against what the branch holds by then. */
  branchTip?: string | null;
  gateResults: GateResult[];
  phase: MergePhase;
  /** The step to run now; null once the run has its outcome. */
  next: MergeStep | null;
  /** Step kinds still ahead in this attempt, `next` first, for showing the plan. */
  plan: MergeStep['kind'][];
  /** Set the moment the target moved, before the checkout is synced: a crash after the CAS must still leave a record to undo. */
  record: MergeRecord | null;
  outcome: MergeLanded | MergeStopped | null;
}

/** What `planApproval` needs: the task, the operator's say, the target's state and the merge configuration. */
export interface ApprovalInput {
  task: TaskId;
  state: TaskState;
  risk: Risk;
  branch: string | null;
  approvedByOperator: boolean;
  target: string;
  targetTip: string;
  strategy: MergeStrategy;
  gates: string[];
  /** Whether the target branch is checked out in the main worktree (which must then be clean and is fast-forwarded). */
  targetCheckedOut: boolean;
  now: string;
  /** The task whose approval is running, if any: one landing at a time. */
  inProgress?: TaskId | null;
}

/** Where the tip an attempt replaces is kept; one per attempt, so a retry never overwrites an earlier backup. */
export const backupRefName = (target: string, stamp: string, task: TaskId, attempt: number): string =>
  `refs/muster/backup/${target}/${stamp}-task-${task}-${attempt}`;
/** Where an attempt's integration commit is kept, whether or not it lands. */
export const integrationRefName = (task: TaskId, stamp: string, attempt: number): string => `refs/muster/integration/task-${task}/${stamp}-${attempt}`;

/** Starts an approval, or says why it cannot start. Nothing has moved until the CAS step. */
export function planApproval(input: ApprovalInput): Result<MergeRun> {
  const id = formatId(input.task);
  if (input.inProgress != null && input.inProgress !== input.task) {
    return refuse('conflict', `${mergeSubject(input.inProgress, input.target)} is in progress; approve ${id} when it has landed or stopped.`);
  }
  if (input.inProgress === input.task) return refuse('invalid-state', `${mergeSubject(input.task, input.target)} is already in progress.`);
  if (input.state !== 'review') return refuse('invalid-state', `${id} is ${input.state}; only a task in review can be merged.`);
  if (input.risk === 'high' && !input.approvedByOperator) {
    return refuse('invalid-state', `${id} is high risk: only the operator can approve its merge.`);
  }
  if (!input.branch) return refuse('invalid-state', `${id} has no branch to merge: an agent has not worked on it yet.`);
  const run: MergeRun = {
    task: input.task,
    target: input.target,
    branch: input.branch,
    strategy: input.strategy,
    gates: [...input.gates],
    targetCheckedOut: input.targetCheckedOut,
    stamp: refStamp(input.now),
    attempt: 1,
    onto: input.targetTip,
    result: null,
    gateResults: [],
    phase: 'integrate',
    next: null,
    plan: [],
    record: null,
    outcome: null,
  };
  return ok(enter(run, 'integrate'));
}

/**
 * The phases of one attempt, in order, with the ones this run does not need left out. The
 * checkout is checked after the gates, just before the target moves: its state then is what
 * matters, and the operator may clean it up while the gates run.
 */
function phasesOf(run: MergeRun): MergeStep['kind'][] {
  return (['integrate', 'gates', 'check-checkout', 'backup', 'cas', 'fast-forward-checkout'] as const).filter(
    (p) => (p !== 'gates' || run.gates.length > 0) && ((p !== 'check-checkout' && p !== 'fast-forward-checkout') || run.targetCheckedOut),
  );
}

function stepFor(run: MergeRun, phase: MergeStep['kind']): MergeStep {
  const result = run.result ?? run.onto;
  switch (phase) {
    case 'integrate':
      return { kind: 'integrate', branch: run.branch, onto: run.onto, strategy: run.strategy, keepAs: integrationRefName(run.task, run.stamp, run.attempt) };
    case 'gates':
      return { kind: 'gates', names: [...run.gates], commit: result };
    case 'check-checkout':
      return { kind: 'check-checkout', target: run.target, from: run.onto, to: result };
    case 'backup':
      return { kind: 'backup', ref: backupRefName(run.target, run.stamp, run.task, run.attempt), commit: run.onto };
    case 'cas':
      return { kind: 'cas', ref: targetRef(run.target), next: result, expectedOld: run.onto };
    case 'fast-forward-checkout':
      return { kind: 'fast-forward-checkout', target: run.target, from: run.onto, to: result };
  }
}

function enter(run: MergeRun, phase: MergeStep['kind']): MergeRun {
  const phases = phasesOf(run);
  return { ...run, phase, next: stepFor(run, phase), plan: phases.slice(phases.indexOf(phase)) };
}

/** Moves to the phase after `from`, or finishes the run as landed when there is none. */
function proceed(run: MergeRun, from: MergeStep['kind']): MergeRun {
  const phases = phasesOf(run);
  const after = phases[phases.indexOf(from) + 1];
  if (after) return enter(run, after);
  return finish(run, { landed: true, record: run.record!, warning: null });
}

function finish(run: MergeRun, outcome: MergeLanded | MergeStopped): MergeRun {
  return { ...run, phase: 'done', next: null, plan: [], outcome };
}

function decide(
  run: MergeRun,
  conflict: string[] | null,
  checkout: Pick<LandingInput, 'checkoutDirty' | 'dirtyPaths' | 'inTheWay' | 'checkoutRefusal'> = { checkoutDirty: false },
): MergeStopped | null {
  const verdict = decideLanding({ task: run.task, target: run.target, expectedGates: run.gates, gates: run.gateResults, conflict, ...checkout });
  return verdict.landed ? null : verdict;
}

/** The target moved between the merge and the compare-and-swap: merge and test again on its new tip, a bounded number of times. */
export function onCasFailed(run: MergeRun, actualTip: string): MergeRun {
  if (run.attempt >= MAX_LANDING_ATTEMPTS) {
    return finish(run, stopped(run, 'target-moved', `${run.target} moved under it ${run.attempt} times while it was being tested, so it did not land.`));
  }
  return enter({ ...run, attempt: run.attempt + 1, onto: actualTip, result: null, gateResults: [] }, 'integrate');
}

const EXPECTS: Record<MergeStep['kind'], readonly StepOutcome['kind'][]> = {
  integrate: ['integrated', 'integration-conflicted'],
  gates: ['gates-finished'],
  'check-checkout': ['checkout-checked'],
  backup: ['backed-up'],
  cas: ['cas-succeeded', 'cas-failed'],
  'fast-forward-checkout': ['checkout-synced'],
};

/**
 * Feeds the outcome of `run.next` back in and returns the run with its next step or its outcome.
 * An outcome that does not answer the current step is refused: the caller has a stale run.
 */
export function advance(run: MergeRun, outcome: StepOutcome, now: string): Result<MergeRun> {
  if (run.phase === 'done') return refuse('invalid-state', `${mergeSubject(run.task, run.target)} has already finished.`);
  const phase = run.phase;
  if (outcome.kind !== 'failed' && !EXPECTS[phase].includes(outcome.kind)) {
    return refuse('invalid-state', `${mergeSubject(run.task, run.target)} is at its ${phase} step; "${outcome.kind}" does not answer it.`);
  }
  switch (outcome.kind) {
    case 'failed':
      if (run.record) {
        const { from, to } = run.record;
        const warning = `${run.target} moved to ${shortSha(to)}, but the main worktree was not updated (${outcome.message}). Run "git read-tree -m -u ${from} ${to}" there.`;
        return ok(finish(run, { landed: true, record: run.record, warning }));
      }
      return ok(finish(run, stopped(run, 'error', `its ${phase} step failed (${outcome.message}), so ${run.target} did not move.`)));
    case 'integration-conflicted':
      return ok(finish(run, decide(run, outcome.paths)!));
    case 'integrated':
      if (outcome.commit === run.onto)
        return ok(finish(run, stopped(run, 'nothing-to-merge', `${run.target} already has everything on ${run.branch}: there is nothing to merge.`)));
      return ok(proceed({ ...run, result: outcome.commit, branchTip: outcome.branchTip ?? null }, phase));
    case 'gates-finished': {
      const next = { ...run, gateResults: [...outcome.results] };
      const stop = decide(next, null);
      return ok(stop ? finish(next, stop) : proceed(next, phase));
    }
    case 'checkout-checked': {
      const stop = decide(run, null, { checkoutDirty: outcome.dirty, dirtyPaths: outcome.paths, inTheWay: outcome.inTheWay, checkoutRefusal: outcome.refusal });
      return ok(stop ? finish(run, stop) : proceed(run, phase));
    }
    case 'backed-up':
      return ok(proceed(run, phase));
    case 'cas-failed':
      return ok(onCasFailed(run, outcome.actualTip));
    case 'cas-succeeded':
      return ok(proceed({ ...run, record: landingRecord(run, now) }, phase));
    case 'checkout-synced':
      return ok(proceed(run, phase));
  }
}

function landingRecord(run: MergeRun, now: string): MergeRecord {
  const backupRef = backupRefName(run.target, run.stamp, run.task, run.attempt);
  return { task: run.task, target: run.target, strategy: run.strategy, from: run.onto, to: run.result!, backupRef, at: now, undone: false, undoneAt: null };
}

/** What git says after a restart about a run the previous supervisor left unfinished. */
export interface RecoveryFacts {
  /** The target's tip now (null when the branch is gone). */
  tip: string | null;
  /** Whether this attempt's integration commit is an ancestor of that tip (it landed, then the target moved on). */
  resultBelowTip: boolean;
}

/**
 * Squares a run left unfinished by a crash with git, which has the last word: the store may
 * lag the compare-and-swap (the supervisor died after git moved the target, before the run
 * was persisted). If the target holds this attempt's integration commit, the landing is
 * recorded as the CAS step would have and the remaining steps (the fast-forward of the main
 * worktree) run; if it does not, nothing moved and the run stops. A finished run is returned
 * as it is, for its outcome to be recorded.
 */
export function recoverRun(run: MergeRun, facts: RecoveryFacts, now: string): MergeRun {
  if (run.phase === 'done') return run;
  const landed =
    run.record ?? (run.result !== null && run.result !== run.onto && (facts.tip === run.result || facts.resultBelowTip) ? landingRecord(run, now) : null);
  if (!landed) {
    return finish(run, stopped(run, 'interrupted', `the supervisor restarted during its ${run.phase} step, and ${run.target} did not move.`));
  }
  if (facts.tip !== landed.to) {
    const where = facts.tip ? `is now at ${shortSha(facts.tip)}` : 'is gone';
    return finish(
      { ...run, record: landed },
      {
        landed: true,
        record: landed,
        warning: `the supervisor restarted during the landing and ${run.target} has moved on since (it ${where}), so muster left the main worktree as it was; check it.`,
      },
    );
  }
  return run.record ? run : proceed({ ...run, record: landed }, 'cas');
}

/** Stops an approval on the operator's word (reject, cancel) while nothing has moved yet. */
export function abortRun(run: MergeRun, why: string): Result<MergeRun> {
  if (run.phase === 'done') return refuse('invalid-state', `${mergeSubject(run.task, run.target)} has already finished.`);
  if (run.phase === 'cas' || run.record) {
    return refuse('invalid-state', `${mergeSubject(run.task, run.target)} is landing and cannot be stopped now; undo it once it has landed.`);
  }
  return ok(finish(run, { landed: false, reason: 'aborted', message: `${mergeSubject(run.task, run.target)} cancelled: ${why}. ${run.target} did not move.` }));
}
