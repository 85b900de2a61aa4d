import { lastLanding, planUndo, recordUndo, type UndoPlan } from '../core/merge-plan.js';
import { tryAcquire } from '../core/lock-table.js';
import { getTask, transition } from '../core/task-queue.js';
import { formatId } from '../core/task.js';
import { resolveCommit } from '../adapters/git/git.js';
import { refsPointingAt, updateRef } from '../adapters/git/history.js';
import { checkoutOf, compareAndSwap, dirtyPaths, syncCheckout } from '../adapters/git/integration.js';
import { MusterError } from '../protocol/errors.js';
import { unwrap } from './handlers/refusal.js';
import type { ResultOf } from '../protocol/methods.js';
import type { LockManager } from './lock-manager.js';
import type { AuditInput, StateCell } from './state-cell.js';
import { pauseAt } from '../adapters/proc/test-pause.js';

/**
 * The last landing comes off the target, if nothing else moved it since; the task goes back
 * to review. The undo is recorded as soon as the target has moved back, before the main
 * worktree follows, so a failure there (or a crash) never leaves the record behind git.
 */
export async function undoLastLanding(cell: StateCell, locks: LockManager, target: string, actor: string): Promise<ResultOf<'merge.undo'>> {
  const repo = cell.ctx.paths.repo.mainRoot;
  const checkout = await checkoutOf(repo, target);
  const dirty = checkout ? (await dirtyPaths(checkout)).length > 0 : false;
  const tip = await resolveCommit(repo, `refs/heads/${target}`);
  if (!tip) throw new MusterError('failure', `The target branch "${target}" has no commit.`);
  const plan = unwrap(
    planUndo(cell.state.merges, tip, {
      target,
      now: cell.now(),
      checkout: checkout ? (dirty ? 'dirty' : 'clean') : 'absent',
      inProgress: cell.state.mergeRun?.task ?? null,
    }),
  );
  for (const k of plan.keep) await updateRef(repo, k.ref, k.commit, 'muster: undone landing');
  await pauseAt(cell, 'undo:cas');
  const cas = await compareAndSwap(repo, plan.ref, plan.to, plan.expectedOld, `muster: undo landing of task #${plan.task}`);
  if (!cas.ok)
    throw new MusterError(
      'conflict',
      `Cannot undo: ${target} moved meanwhile (${cas.actual?.slice(0, 7) ?? 'gone'}). Revert the merge with a new commit instead.`,
    );
  await pauseAt(cell, 'undo:cas-done');
  await recordUndone(cell, locks, plan, actor, 'merge-undone');
  if (plan.syncCheckout && checkout) {
    const failed = await syncCheckout(checkout, plan.expectedOld, plan.to).then(
      () => null,
      (e: unknown) => (e as Error).message,
    );
    if (failed) {
      throw new MusterError(
        'failure',
        `${formatId(plan.task)}'s landing is undone and ${target} is back at ${plan.to.slice(0, 7)}, but the main worktree was not updated (${failed}). Run "git read-tree -m -u ${plan.expectedOld} ${plan.to}" there.`,
      );
    }
  }
  return { task: plan.task, target, from: plan.expectedOld, to: plan.to };
}

async function recordUndone(cell: StateCell, locks: LockManager, plan: UndoPlan, actor: string, kind: string): Promise<void> {
  cell.forgetTip();
  const now = cell.now();
  const history = recordUndo(cell.state.merges, plan, now);
  const events: AuditInput[] = [
    { actor, kind, details: { task: plan.task, target: plan.target, from: plan.expectedOld, to: plan.to, kept: plan.keep.map((k) => k.ref) } },
  ];
  // Back in review the task is unlanded work again: it holds its declared locks as it did
  // before it landed, and its landed result is gone. The reason says only what stays true
  // when the target moves on.
  const task = getTask(cell.state, plan.task);
  const requests = task ? locks.declared(task) : [];
  const grant = requests.length ? tryAcquire(cell.state.locks, { kind: 'task', task: plan.task }, requests, now, { declared: true }) : null;
  let reason = 'its landing was undone; approve it again to land it';
  if (grant && !grant.ok) reason += `; its declared locks could not be taken back (${grant.conflicts.map((c) => locks.conflictView(c).detail).join('; ')})`;
  if (grant?.ok)
    events.push({ actor: 'supervisor', kind: 'lock-granted', details: { owner: { task: plan.task }, locks: requests, declared: true, why: 'merge undone' } });
  const back = transition(cell.state, plan.task, 'review', now, reason);
  const base = back.ok ? back.value : cell.state;
  await cell.apply(
    { ...base, merges: history, locks: grant?.ok ? grant.table : base.locks, mergeResults: base.mergeResults.filter((r) => r.task !== plan.task) },
    events,
  );
}

/**
 * An undo the previous supervisor carried out in git but did not record: the target is back
 * at the last landing's `from`, and the commit it took off is kept under refs/muster/undone/
 * (written just before the compare-and-swap). The undo is recorded and the main worktree,
 * if its index is still at the landing, brought back too.
 */
export async function recoverUndo(cell: StateCell, locks: LockManager, target: string): Promise<void> {
  const repo = cell.ctx.paths.repo.mainRoot;
  const last = lastLanding(cell.state.merges, target);
  if (!last) return;
  const { record } = last;
  if ((await resolveCommit(repo, `refs/heads/${target}`)) !== record.from) return;
  const kept = (await refsPointingAt(repo, record.to, `refs/muster/undone/${target}/`)).filter((ref) => ref.endsWith(`-task-${record.task}`));
  if (!kept.length) return;
  const plan: UndoPlan = {
    kind: 'reset',
    task: record.task,
    target,
    ref: `refs/heads/${target}`,
    to: record.from,
    expectedOld: record.to,
    keep: [],
    syncCheckout: true,
  };
  await recordUndone(cell, locks, plan, 'supervisor', 'merge-undo-recovered');
  const checkout = await checkoutOf(repo, target);
  if (!checkout) return;
  const failed = await syncCheckout(checkout, record.to, record.from).then(
    () => null,
    (e: unknown) => (e as Error).message,
  );
  if (!failed) return;
  const message = `The undo of ${formatId(record.task)} was finished after a restart, but the main worktree was not updated (${failed}). Run "git read-tree -m -u ${record.to} ${record.from}" there.`;
  cell.audit([{ actor: 'supervisor', kind: 'checkout-not-synced', details: { task: record.task, from: record.to, to: record.from, why: failed } }]);
  cell.notify({ kind: 'failed', message });
}
