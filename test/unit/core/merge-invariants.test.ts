import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_LANDING_ATTEMPTS,
  abortRun,
  advance,
  planApproval,
  recoverRun,
  type MergeRun,
  type MergeStep,
  type StepOutcome,
} from '../../../src/core/merge-plan.js';
import { lastLanding, planUndo, recordUndo, type MergeRecord, type MergeStrategy } from '../../../src/core/merge-queue.js';
import type { TaskId } from '../../../src/core/task.js';

/**
 * A tiny git: a commit graph and refs. Every supervisor action goes through the pure merge
 * functions; the model only carries out the steps they ask for, the way the adapters would.
 */
type GateVerdict = 'pass' | 'fail' | 'missing';
type Event =
  | { kind: 'approve'; task: TaskId; operator: boolean }
  | { kind: 'step'; conflict: boolean; empty: boolean; gates: GateVerdict[]; dirty: boolean; fail: boolean }
  | { kind: 'external' }
  | { kind: 'undo'; dirty: boolean }
  | { kind: 'reject'; task: TaskId }
  | { kind: 'cancel'; task: TaskId }
  | { kind: 'agent-done'; task: TaskId }
  /** The supervisor dies during the current step (after git carried it out, or before), and a new one recovers the run. */
  | { kind: 'crash'; executed: boolean };

const TARGET = 'refs/heads/main';
const TASKS: TaskId[] = [1, 2, 3];
const riskOf = (task: TaskId): 'medium' | 'high' => (task === 3 ? 'high' : 'medium');
const branchRef = (task: TaskId): string => `refs/heads/muster/${task}`;
const at = (i: number): string => new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString();

class Model {
  parents = new Map<string, string[]>();
  refs = new Map<string, string>();
  /** The initial tip, every tip someone else moved the target to, and every commit whose gates all passed. */
  allowed = new Set<string>();
  tips: string[] = [];
  lastCause: 'initial' | 'external' | 'landing' | 'undo' = 'initial';
  /** How often a landing moved the target: each must end up in the history. */
  landings = 0;
  history: MergeRecord[] = [];
  run: MergeRun | null = null;
  state = new Map<TaskId, 'review' | 'running' | 'merged' | 'cancelled'>();
  private n = 0;

  constructor(
    readonly gates: string[],
    readonly strategy: MergeStrategy,
    readonly checkedOut: boolean,
  ) {
    const root = this.commit([]);
    this.moveTarget(root, 'initial');
    this.allowed.add(root);
    for (const t of TASKS) {
      this.refs.set(branchRef(t), this.commit([root]));
      this.state.set(t, 'review');
    }
  }

  commit(parents: string[]): string {
    const sha = `c${this.n++}`;
    this.parents.set(sha, parents);
    return sha;
  }

  get tip(): string {
    return this.refs.get(TARGET)!;
  }

  moveTarget(to: string, cause: Model['lastCause']): void {
    this.refs.set(TARGET, to);
    this.tips.push(to);
    this.lastCause = cause;
    if (cause === 'landing') this.landings++;
  }

  isAncestor(sha: string, of: string): boolean {
    const stack = [of];
    for (let c = stack.pop(); c !== undefined; c = stack.pop()) {
      if (c === sha) return true;
      stack.push(...(this.parents.get(c) ?? []));
    }
    return false;
  }

  reachable(): Set<string> {
    const seen = new Set<string>();
    const stack = [...this.refs.values()];
    for (let sha = stack.pop(); sha !== undefined; sha = stack.pop()) {
      if (seen.has(sha)) continue;
      seen.add(sha);
      stack.push(...(this.parents.get(sha) ?? []));
    }
    return seen;
  }

  /** Carries out one step as git and the gate runner would, with the event deciding the luck. */
  execute(step: MergeStep, ev: Extract<Event, { kind: 'step' }>): StepOutcome {
    if (ev.fail) return { kind: 'failed', message: 'something broke' };
    switch (step.kind) {
      case 'integrate': {
        if (ev.conflict) return { kind: 'integration-conflicted', paths: ['shared.txt'] };
        if (ev.empty) return { kind: 'integrated', commit: step.onto };
        const task = Number(step.branch.split('/').pop());
        const result = this.commit(step.strategy === 'merge' ? [step.onto, this.refs.get(branchRef(task))!] : [step.onto]);
        this.refs.set(step.keepAs, result);
        // With no gates configured, "every gate passed" holds for every integration.
        if (this.gates.length === 0) this.allowed.add(result);
        return { kind: 'integrated', commit: result };
      }
      case 'gates': {
        const results = step.names.flatMap((name, i) => {
          const verdict = ev.gates[i % ev.gates.length] ?? 'pass';
          return verdict === 'missing' ? [] : [{ name, ok: verdict === 'pass', output: verdict }];
        });
        if (this.gates.every((g) => results.some((r) => r.name === g && r.ok))) this.allowed.add(step.commit);
        return { kind: 'gates-finished', results };
      }
      case 'check-checkout':
        return { kind: 'checkout-checked', dirty: ev.dirty };
      case 'backup':
        this.refs.set(step.ref, step.commit);
        return { kind: 'backed-up' };
      case 'cas':
        if (this.tip !== step.expectedOld) return { kind: 'cas-failed', actualTip: this.tip };
        this.moveTarget(step.next, 'landing');
        return { kind: 'cas-succeeded' };
      case 'fast-forward-checkout':
        return { kind: 'checkout-synced' };
    }
  }

  apply(ev: Event, now: string): void {
    switch (ev.kind) {
      case 'approve': {
        const r = planApproval({
          task: ev.task,
          state: this.state.get(ev.task) === 'review' ? 'review' : 'running',
          risk: riskOf(ev.task),
          branch: `muster/${ev.task}`,
          approvedByOperator: ev.operator,
          target: 'main',
          targetTip: this.tip,
          strategy: this.strategy,
          gates: this.gates,
          targetCheckedOut: this.checkedOut,
          now,
          inProgress: this.run?.task ?? null,
        });
        if (r.ok) this.run = r.value;
        return;
      }
      case 'step': {
        if (!this.run?.next) return;
        const next = advance(this.run, this.execute(this.run.next, ev), now);
        expect(next.ok).toBe(true);
        if (next.ok) this.settle(next.value);
        return;
      }
      case 'external': {
        const sha = this.commit([this.tip]);
        this.allowed.add(sha);
        this.moveTarget(sha, 'external');
        return;
      }
      case 'undo': {
        const before = this.tip;
        const last = lastLanding(this.history, 'main');
        const r = planUndo(this.history, before, {
          target: 'main',
          now,
          checkout: this.checkedOut ? (ev.dirty ? 'dirty' : 'clean') : 'absent',
          inProgress: this.run?.task ?? null,
        });
        if (!r.ok) {
          // Right after a landing nothing else has moved the target: only a run or a dirty checkout may stand in the way.
          if (this.lastCause === 'landing' && !this.run && !(this.checkedOut && ev.dirty)) expect.unreachable(r.error.message);
          return;
        }
        expect(before).toBe(last?.record.to);
        expect(this.lastCause).not.toBe('external');
        expect(before).toBe(r.value.expectedOld);
        expect(this.tips).toContain(r.value.to);
        for (const k of r.value.keep) this.refs.set(k.ref, k.commit);
        this.moveTarget(r.value.to, 'undo');
        this.history = recordUndo(this.history, r.value, now);
        this.state.set(r.value.task, 'review');
        return;
      }
      case 'reject':
      case 'cancel': {
        if (this.run?.task === ev.task) {
          const r = abortRun(this.run, ev.kind === 'reject' ? 'rejected' : 'cancelled');
          if (!r.ok) return; // landing in progress: the operator waits for it
          this.settle(r.value);
        }
        if (this.state.get(ev.task) === 'review') this.state.set(ev.task, ev.kind === 'reject' ? 'running' : 'cancelled');
        return;
      }
      case 'crash': {
        if (!this.run) return;
        if (this.run.next && ev.executed)
          this.execute(this.run.next, { kind: 'step', conflict: false, empty: false, gates: ['pass'], dirty: false, fail: false });
        const result = this.run.result;
        this.settle(recoverRun(this.run, { tip: this.tip, resultBelowTip: result !== null && this.tip !== result && this.isAncestor(result, this.tip) }, now));
        return;
      }
      case 'agent-done': {
        if (this.state.get(ev.task) !== 'running') return;
        this.refs.set(branchRef(ev.task), this.commit([this.refs.get(branchRef(ev.task))!]));
        this.state.set(ev.task, 'review');
        return;
      }
    }
  }

  settle(run: MergeRun): void {
    expect(run.attempt).toBeLessThanOrEqual(MAX_LANDING_ATTEMPTS);
    if (run.next?.kind === 'cas') expect(this.allowed.has(run.next.next)).toBe(true);
    this.run = run.outcome ? null : run;
    if (run.outcome?.landed) {
      expect(this.allowed.has(run.outcome.record.to)).toBe(true);
      this.history.push(run.outcome.record);
      this.state.set(run.task, 'merged');
    }
  }
}

const task = fc.constantFrom(...TASKS);
const oneIn = (n: number): fc.Arbitrary<boolean> => fc.integer({ min: 1, max: n }).map((k) => k === 1);
const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('approve' as const), task, operator: oneIn(3).map((no) => !no) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('step' as const),
      conflict: oneIn(10),
      empty: oneIn(20),
      gates: fc.array(fc.constantFrom<GateVerdict>('pass', 'pass', 'pass', 'pass', 'pass', 'fail', 'missing'), { minLength: 1, maxLength: 2 }),
      dirty: oneIn(4),
      fail: oneIn(40),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'external' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), dirty: oneIn(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('reject' as const, 'cancel' as const, 'agent-done' as const), task }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), executed: fc.boolean() }) },
);

describe('the merge queue invariants', () => {
  it('moves the target only to tested commits, records every landing (crashes included), undoes only unmoved landings, and keeps every commit reachable', () => {
    fc.assert(
      fc.property(
        fc.subarray(['typecheck', 'test']),
        fc.constantFrom<MergeStrategy>('merge', 'rebase', 'squash'),
        fc.boolean(),
        fc.array(event, { minLength: 10, maxLength: 80 }),
        (gates, strategy, checkedOut, events) => {
          const model = new Model(gates, strategy, checkedOut);
          events.forEach((ev, i) => {
            model.apply(ev, at(i + 1));
            expect(model.allowed.has(model.tip)).toBe(true);
            expect(model.history.length + (model.run?.record ? 1 : 0), 'landings the record knows of').toBe(model.landings);
            const reachable = model.reachable();
            for (const sha of model.parents.keys()) expect(reachable.has(sha)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
