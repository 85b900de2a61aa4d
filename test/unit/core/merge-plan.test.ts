import { describe, expect, it } from 'vitest';
import {
  MAX_LANDING_ATTEMPTS,
  abortRun,
  advance,
  decideLanding,
  planApproval,
  type ApprovalInput,
  type LandingInput,
  recoverRun,
  type MergeRun,
  type StepOutcome,
} from '../../../src/core/merge-plan.js';

const T0 = '2026-01-01T12:04:05.123Z';

function approval(patch: Partial<ApprovalInput> = {}): ApprovalInput {
  return {
    task: 4,
    state: 'review',
    risk: 'medium',
    branch: 'muster/4-fix',
    approvedByOperator: true,
    target: 'main',
    targetTip: 'tip0',
    strategy: 'merge',
    gates: ['typecheck', 'test'],
    targetCheckedOut: false,
    now: T0,
    ...patch,
  };
}

function started(patch: Partial<ApprovalInput> = {}): MergeRun {
  const r = planApproval(approval(patch));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Feeds outcomes in order, failing the test on any refusal. */
function drive(run: MergeRun, ...outcomes: StepOutcome[]): MergeRun {
  return outcomes.reduce((r, o) => {
    const next = advance(r, o, T0);
    if (!next.ok) throw new Error(next.error.message);
    return next.value;
  }, run);
}

const pass = (...names: string[]): StepOutcome => ({ kind: 'gates-finished', results: names.map((name) => ({ name, ok: true, output: '' })) });

describe('planApproval', () => {
  it('starts with the integration of the branch onto the current tip, and shows the plan', () => {
    const run = started();
    expect(run.next).toEqual({
      kind: 'integrate',
      branch: 'muster/4-fix',
      onto: 'tip0',
      strategy: 'merge',
      keepAs: 'refs/muster/integration/task-4/20260101T120405123Z-1',
    });
    expect(run.plan).toEqual(['integrate', 'gates', 'backup', 'cas']);
    expect(started({ targetCheckedOut: true, gates: [] }).plan).toEqual(['integrate', 'check-checkout', 'backup', 'cas', 'fast-forward-checkout']);
  });

  it.each<[string, Partial<ApprovalInput>, string]>([
    ['a task not in review', { state: 'running' }, '#4 is running; only a task in review can be merged.'],
    ['a high-risk task without the operator', { risk: 'high', approvedByOperator: false }, '#4 is high risk: only the operator can approve its merge.'],
    ['a second landing while one runs', { inProgress: 3 }, 'Merge of #3 into main is in progress; approve #4 when it has landed or stopped.'],
    ['a task without a branch', { branch: null }, '#4 has no branch to merge: an agent has not worked on it yet.'],
  ])('refuses %s', (_, patch, message) => {
    const r = planApproval(approval(patch));
    expect(r.ok ? null : r.error.message).toBe(message);
  });

  it('lets the operator approve a high-risk task', () => {
    expect(planApproval(approval({ risk: 'high', approvedByOperator: true })).ok).toBe(true);
  });
});

describe('advance', () => {
  it('lands through integrate, gates, backup and compare-and-swap, and records the landing', () => {
    let run = drive(started(), { kind: 'integrated', commit: 'm1' });
    expect(run.next).toEqual({ kind: 'gates', names: ['typecheck', 'test'], commit: 'm1' });
    run = drive(run, pass('test', 'typecheck'));
    expect(run.next).toEqual({ kind: 'backup', ref: 'refs/muster/backup/main/20260101T120405123Z-task-4-1', commit: 'tip0' });
    run = drive(run, { kind: 'backed-up' });
    expect(run.next).toEqual({ kind: 'cas', ref: 'refs/heads/main', next: 'm1', expectedOld: 'tip0' });
    run = drive(run, { kind: 'cas-succeeded' });
    expect(run.outcome).toEqual({
      landed: true,
      warning: null,
      record: {
        task: 4,
        target: 'main',
        strategy: 'merge',
        from: 'tip0',
        to: 'm1',
        backupRef: 'refs/muster/backup/main/20260101T120405123Z-task-4-1',
        at: T0,
        undone: false,
        undoneAt: null,
      },
    });
  });

  it('checks and fast-forwards the main worktree when the target is checked out there', () => {
    let run = drive(started({ targetCheckedOut: true }), { kind: 'integrated', commit: 'm1' }, pass('typecheck', 'test'));
    expect(run.next).toEqual({ kind: 'check-checkout', target: 'main', from: 'tip0', to: 'm1' });
    run = drive(run, { kind: 'checkout-checked', dirty: false }, { kind: 'backed-up' }, { kind: 'cas-succeeded' });
    expect(run.record?.to).toBe('m1');
    expect(run.next).toEqual({ kind: 'fast-forward-checkout', target: 'main', from: 'tip0', to: 'm1' });
    expect(drive(run, { kind: 'checkout-synced' }).outcome).toMatchObject({ landed: true, warning: null });
  });

  it('stops on a conflict with a message that says what to do', () => {
    const run = drive(started(), { kind: 'integration-conflicted', paths: ['shared.txt'] });
    expect(run.outcome).toEqual({
      landed: false,
      reason: 'conflict',
      paths: ['shared.txt'],
      message: 'Merge of #4 into main stopped: shared.txt conflicts with main.',
    });
    expect(run.next).toBeNull();
  });

  it('stops on the first failed gate, with its output', () => {
    const run = drive(
      started(),
      { kind: 'integrated', commit: 'm1' },
      {
        kind: 'gates-finished',
        results: [
          { name: 'typecheck', ok: true, output: '' },
          { name: 'test', ok: false, output: '1 failed' },
        ],
      },
    );
    expect(run.outcome).toMatchObject({ landed: false, reason: 'gate-failed', gate: { name: 'test', output: '1 failed' } });
  });

  it('does not take a missing gate result for a pass', () => {
    expect(drive(started(), { kind: 'integrated', commit: 'm1' }, pass('typecheck')).outcome).toMatchObject({ landed: false, reason: 'gates-incomplete' });
  });

  it('moves nothing when the checkout is dirty', () => {
    const run = drive(started({ targetCheckedOut: true }), { kind: 'integrated', commit: 'm1' }, pass('typecheck', 'test'), {
      kind: 'checkout-checked',
      dirty: true,
      paths: ['notes.txt'],
    });
    expect(run.outcome).toMatchObject({ landed: false, reason: 'dirty-checkout' });
    expect(run.outcome && !run.outcome.landed && run.outcome.message).toBe(
      'Merge of #4 into main stopped: the main worktree, where main is checked out, has uncommitted changes (notes.txt), so main did not move. Commit or stash them first.',
    );
  });

  it('moves nothing when untracked files are where the landing writes, or git would refuse the fast-forward, and names what is in the way', () => {
    const at = drive(started({ targetCheckedOut: true }), { kind: 'integrated', commit: 'm1' }, pass('typecheck', 'test'));
    const blocked = drive(at, { kind: 'checkout-checked', dirty: false, inTheWay: ['file-7.txt'], refusal: null });
    expect(blocked.outcome).toEqual({
      landed: false,
      reason: 'dirty-checkout',
      paths: ['file-7.txt'],
      message:
        'Merge of #4 into main stopped: the main worktree, where main is checked out, has an untracked file that the landing would overwrite (file-7.txt), so main did not move. Move it away first.',
    });
    const refused = drive(at, { kind: 'checkout-checked', dirty: false, inTheWay: [], refusal: "Entry 'a' not uptodate. Cannot merge." });
    expect(refused.outcome).toMatchObject({
      landed: false,
      reason: 'dirty-checkout',
      message: expect.stringContaining("could not be brought to the merged result (Entry 'a' not uptodate. Cannot merge.)"),
    });
    expect(drive(at, { kind: 'checkout-checked', dirty: false, inTheWay: [], refusal: null }).next?.kind).toBe('backup');
  });

  it('merges and tests again on the new tip when the target moved, a bounded number of times', () => {
    let run = drive(
      started(),
      { kind: 'integrated', commit: 'm1' },
      pass('typecheck', 'test'),
      { kind: 'backed-up' },
      { kind: 'cas-failed', actualTip: 'tip1' },
    );
    expect(run.attempt).toBe(2);
    expect(run.next).toEqual({
      kind: 'integrate',
      branch: 'muster/4-fix',
      onto: 'tip1',
      strategy: 'merge',
      keepAs: 'refs/muster/integration/task-4/20260101T120405123Z-2',
    });
    expect(run.gateResults).toEqual([]);
    for (let i = 2; i <= MAX_LANDING_ATTEMPTS; i++) {
      run = drive(run, { kind: 'integrated', commit: `m${i}` }, pass('typecheck', 'test'), { kind: 'backed-up' }, { kind: 'cas-failed', actualTip: `tip${i}` });
    }
    expect(run.outcome).toMatchObject({ landed: false, reason: 'target-moved' });
  });

  it('stops when the branch brings nothing new', () => {
    expect(drive(started(), { kind: 'integrated', commit: 'tip0' }).outcome).toMatchObject({ landed: false, reason: 'nothing-to-merge' });
  });

  it('refuses an outcome that does not answer the current step', () => {
    const r = advance(started(), { kind: 'cas-succeeded' }, T0);
    expect(r.ok ? null : r.error.message).toBe('Merge of #4 into main is at its integrate step; "cas-succeeded" does not answer it.');
  });

  it('turns a step error into a stop before the target moved, and into a warning after', () => {
    expect(drive(started(), { kind: 'failed', message: 'git crashed' }).outcome).toMatchObject({ landed: false, reason: 'error' });
    const landed = drive(
      started({ targetCheckedOut: true }),
      { kind: 'integrated', commit: 'm1' },
      pass('typecheck', 'test'),
      { kind: 'checkout-checked', dirty: false },
      { kind: 'backed-up' },
      { kind: 'cas-succeeded' },
      { kind: 'failed', message: 'index.lock exists' },
    );
    expect(landed.outcome).toMatchObject({ landed: true, record: { to: 'm1' } });
    expect(landed.outcome?.landed && landed.outcome.warning).toContain('git read-tree -m -u tip0 m1');
  });
});

describe('abortRun', () => {
  it('stops a run that has not reached the compare-and-swap', () => {
    const r = abortRun(drive(started(), { kind: 'integrated', commit: 'm1' }), 'rejected by the operator');
    expect(r.ok && r.value.outcome).toEqual({
      landed: false,
      reason: 'aborted',
      message: 'Merge of #4 into main cancelled: rejected by the operator. main did not move.',
    });
  });

  it('refuses once the target is being moved', () => {
    const run = drive(started(), { kind: 'integrated', commit: 'm1' }, pass('typecheck', 'test'), { kind: 'backed-up' });
    expect(abortRun(run, 'x').ok).toBe(false);
  });
});

describe('decideLanding', () => {
  const base: LandingInput = {
    task: 4,
    target: 'main',
    expectedGates: ['test'],
    gates: [{ name: 'test', ok: true, output: '' }],
    conflict: null,
    checkoutDirty: false,
  };

  it.each<[string, Partial<LandingInput>, string]>([
    ['everything passed', {}, 'landed'],
    ['a conflict, before anything else', { conflict: ['a.ts', 'b.ts'], checkoutDirty: true }, 'conflict'],
    ['a failed gate', { gates: [{ name: 'test', ok: false, output: 'boom' }] }, 'gate-failed'],
    ['a gate that never reported', { gates: [] }, 'gates-incomplete'],
    ['a dirty checkout', { checkoutDirty: true }, 'dirty-checkout'],
    ['no gates configured', { expectedGates: [], gates: [] }, 'landed'],
  ])('decides on %s', (_, patch, expected) => {
    const verdict = decideLanding({ ...base, ...patch });
    expect(verdict.landed ? 'landed' : verdict.reason).toBe(expected);
  });

  it('names every conflicting path', () => {
    const verdict = decideLanding({ ...base, conflict: ['a.ts', 'b.ts'] });
    expect(verdict.landed ? '' : verdict.message).toBe('Merge of #4 into main stopped: a.ts and b.ts conflict with main.');
  });
});

describe('recoverRun', () => {
  const T1 = '2026-01-01T12:05:00.000Z';
  const atCas = (checkedOut: boolean) =>
    drive(
      started({ targetCheckedOut: checkedOut }),
      { kind: 'integrated', commit: 'm1' },
      pass('typecheck', 'test'),
      ...(checkedOut ? [{ kind: 'checkout-checked', dirty: false } as StepOutcome] : []),
      { kind: 'backed-up' },
    );

  it('records the landing the store missed when the target is at the integration commit, then fast-forwards the checkout', () => {
    const run = recoverRun(atCas(true), { tip: 'm1', resultBelowTip: false }, T1);
    expect(run.record).toEqual({
      task: 4,
      target: 'main',
      strategy: 'merge',
      from: 'tip0',
      to: 'm1',
      backupRef: 'refs/muster/backup/main/20260101T120405123Z-task-4-1',
      at: T1,
      undone: false,
      undoneAt: null,
    });
    expect(run.next).toEqual({ kind: 'fast-forward-checkout', target: 'main', from: 'tip0', to: 'm1' });
    expect(recoverRun(atCas(false), { tip: 'm1', resultBelowTip: false }, T1).outcome).toMatchObject({ landed: true, warning: null, record: { to: 'm1' } });
  });

  it('stops the run, saying nothing moved, when the target is still where the run found it', () => {
    for (const run of [started(), atCas(true)]) {
      const out = recoverRun(run, { tip: 'tip0', resultBelowTip: false }, T1);
      expect(out.outcome).toMatchObject({
        landed: false,
        reason: 'interrupted',
        message: expect.stringMatching(/^Merge of #4 into main stopped: the supervisor restarted during its \w+ step, and main did not move\.$/),
      });
      expect(out.record).toBeNull();
    }
  });

  it('records a landing the target has moved past, without touching the checkout', () => {
    const out = recoverRun(atCas(true), { tip: 'later', resultBelowTip: true }, T1);
    expect(out.outcome).toMatchObject({
      landed: true,
      record: { from: 'tip0', to: 'm1' },
      warning: expect.stringContaining('main has moved on since (it is now at later)'),
    });
    expect(out.next).toBeNull();
  });

  it('finishes the fast-forward of a landing already recorded, and leaves a finished run as it is', () => {
    const recorded = drive(atCas(true), { kind: 'cas-succeeded' });
    expect(recoverRun(recorded, { tip: 'm1', resultBelowTip: false }, T1)).toBe(recorded);
    const done = drive(recorded, { kind: 'checkout-synced' });
    expect(recoverRun(done, { tip: 'other', resultBelowTip: false }, T1)).toBe(done);
  });
});
