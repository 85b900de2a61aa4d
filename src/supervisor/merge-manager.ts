import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { advance, mergeQueueOrder, planApproval, planUndo, recordUndo, skipMerge, withMergeOrder, type MergeRecord, type MergeRun, type MergeStep, type StepOutcome } from '../core/merge-plan.js';
import type { MergeResultRecord } from '../core/state.js';
import { getTask, transition, updateTask } from '../core/task-queue.js';
import { formatId, type TaskId } from '../core/task.js';
import { git, runGit } from '../adapters/git/git.js';
import { checkoutOf, compareAndSwap, dirtyPaths, ensureIntegrationWorktree, integrate, syncCheckout } from '../adapters/git/integration.js';
import { archiveTaskWork } from '../adapters/git/snapshot.js';
import { removeWorktree } from '../adapters/git/worktrees.js';
import { runGate } from '../adapters/gates/run-gate.js';
import { MusterError } from '../protocol/errors.js';
import type { AuditInput, Supervisor } from './supervisor.js';
import { unwrap } from './handlers/refusal.js';

export type ApproveReply = { landed: true; target: string; from: string; to: string; warning: string | null } | { landed: false; reason: string; message: string; gate?: { name: string; output: string }; paths?: string[] };

/**
 * The merge queue: approvals run step by step as the pure merge plan says (integrate in a
 * detached worktree, gates on the merged result, compare-and-swap of the target), with the
 * run persisted between steps; reject, skip and undo.
 */
export class MergeManager {
  constructor(private readonly sup: Supervisor) {}

  private get target(): string {
    return this.sup.ctx.target;
  }

  private get repo(): string {
    return this.sup.ctx.paths.repo.mainRoot;
  }

  get integrationPath(): string {
    return join(this.sup.ctx.paths.stateDir, 'integration');
  }

  queue(): TaskId[] {
    return mergeQueueOrder(this.sup.state.tasks, this.sup.state.order);
  }

  async targetTip(): Promise<string> {
    const r = await runGit(this.repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${this.target}^{commit}`]);
    if (r.exitCode !== 0) throw new MusterError('failure', `The target branch "${this.target}" has no commit.`);
    return r.stdout.trim();
  }

  async approve(id: TaskId, actor: string, byOperator: boolean): Promise<ApproveReply> {
    const task = getTask(this.sup.state, id);
    if (!task) throw new MusterError('not-found', `No task ${formatId(id)}. "muster merge list" shows the merge queue.`);
    const checkout = await checkoutOf(this.repo, this.target);
    let run = unwrap(
      planApproval({
        task: id,
        state: task.state,
        risk: task.risk,
        branch: task.branch,
        approvedByOperator: byOperator,
        target: this.target,
        targetTip: await this.targetTip(),
        strategy: this.sup.config.merge.strategy,
        gates: this.sup.config.quality_gates.map((g) => g.name),
        targetCheckedOut: checkout !== null,
        now: this.sup.now(),
        inProgress: this.sup.state.mergeRun?.task ?? null,
      }),
    );
    const merging = unwrap(transition(this.sup.state, id, 'merging', this.sup.now(), 'merging: integrating'));
    await this.sup.apply({ ...merging, mergeRun: run }, [{ actor, kind: 'merge-approved', details: { task: id, target: this.target, onto: run.onto, strategy: run.strategy } }]);
    while (run.next) {
      const step = run.next;
      await this.sup.patchTask(id, { reason: `merging: ${step.kind}${run.attempt > 1 ? ` (attempt ${run.attempt})` : ''}` });
      const outcome = await this.execute(step, run, checkout);
      run = unwrap(advance(run, outcome, this.sup.now()));
      await this.sup.apply({ ...this.sup.state, mergeRun: run }, [{ actor: 'supervisor', kind: 'merge-step', details: { task: id, step: step.kind, outcome: outcome.kind, attempt: run.attempt } }]);
    }
    return this.finish(run);
  }

  private async execute(step: MergeStep, run: MergeRun, checkout: string | null): Promise<StepOutcome> {
    try {
      switch (step.kind) {
        case 'integrate': {
          await ensureIntegrationWorktree(this.repo, this.integrationPath, step.onto);
          const title = getTask(this.sup.state, run.task)?.title ?? '';
          const r = await integrate(this.integrationPath, this.repo, { branch: step.branch, onto: step.onto, strategy: step.strategy, message: `Merge task #${run.task}: ${title} (muster)` });
          if (r.kind === 'integrated') await git(this.repo, ['update-ref', '-m', 'muster: integration result', step.keepAs, r.commit]);
          return r;
        }
        case 'gates': {
          const results = [];
          for (const gate of this.sup.config.quality_gates) {
            if (!step.names.includes(gate.name)) continue;
            await this.sup.patchTask(run.task, { reason: `merging: gate ${gate.name}` });
            const log = join(this.sup.ctx.paths.tasksDir, String(run.task), 'gates', `${run.stamp}-${run.attempt}-${gate.name.replace(/[^\w.-]+/g, '_')}.log`);
            const env = { ...process.env, MUSTER_MERGE_TASK: String(run.task), MUSTER_MERGE_COMMIT: step.commit };
            const g = await runGate(gate.run, this.integrationPath, gate.timeout, log, env);
            results.push({ name: gate.name, ok: g.ok, output: g.output });
            // The first failure decides; later gates would only cost time.
            if (!g.ok) break;
          }
          return { kind: 'gates-finished', results };
        }
        case 'check-checkout': {
          const paths = checkout ? await dirtyPaths(checkout) : [];
          return { kind: 'checkout-checked', dirty: paths.length > 0, paths };
        }
        case 'backup':
          await git(this.repo, ['update-ref', '-m', 'muster: tip before a landing', step.ref, step.commit]);
          return { kind: 'backed-up' };
        case 'cas': {
          const r = await compareAndSwap(this.repo, step.ref, step.next, step.expectedOld, `muster: land task #${run.task}`);
          if (r.ok) return { kind: 'cas-succeeded' };
          if (r.actual && r.actual !== step.expectedOld) return { kind: 'cas-failed', actualTip: r.actual };
          return { kind: 'failed', message: r.stderr.trim() || 'update-ref refused' };
        }
        case 'fast-forward-checkout':
          if (checkout) await syncCheckout(checkout, step.from, step.to);
          return { kind: 'checkout-synced' };
      }
    } catch (e) {
      return { kind: 'failed', message: (e as Error).message };
    }
  }

  private async finish(run: MergeRun): Promise<ApproveReply> {
    const outcome = run.outcome;
    if (!outcome) throw new Error('a merge run finished without an outcome');
    const id = run.task;
    const now = this.sup.now();
    const gates = run.gateResults.map((g) => ({ name: g.name, ok: g.ok }));
    if (!outcome.landed) {
      const result: MergeResultRecord = { task: id, at: now, landed: false, reason: outcome.reason, message: outcome.message, gate: outcome.gate ?? null, paths: outcome.paths ?? [], gates };
      const back = transition(this.sup.state, id, 'review', now, outcome.message);
      const base = back.ok ? back.value : this.sup.state;
      await this.sup.apply({ ...base, mergeRun: null, mergeResults: [...base.mergeResults.filter((r) => r.task !== id), result] }, [
        { actor: 'supervisor', kind: 'merge-stopped', details: { task: id, reason: outcome.reason, gate: outcome.gate?.name ?? null, paths: outcome.paths ?? [] } },
      ]);
      return { landed: false, reason: outcome.reason, message: outcome.message, ...(outcome.gate ? { gate: outcome.gate } : {}), ...(outcome.paths ? { paths: outcome.paths } : {}) };
    }
    await this.landed(outcome.record, gates, outcome.warning);
    return { landed: true, target: this.target, from: outcome.record.from, to: outcome.record.to, warning: outcome.warning };
  }

  /** After the target moved: the task is merged, its locks, slot and worktree go (the work archived first). */
  private async landed(record: MergeRecord, gates: { name: string; ok: boolean }[], warning: string | null): Promise<void> {
    this.sup.forgetTip();
    const id = record.task;
    const now = this.sup.now();
    const message = `landed on ${record.target} at ${record.to.slice(0, 7)}${warning ? `; ${warning}` : ''}`;
    const result: MergeResultRecord = { task: id, at: now, landed: true, reason: null, message, gate: null, paths: [], gates };
    const moved = transition(this.sup.state, id, 'merged', now, message);
    const base = moved.ok ? moved.value : this.sup.state;
    await this.sup.apply({ ...base, merges: [...base.merges, record], mergeRun: null, mergeResults: [...base.mergeResults.filter((r) => r.task !== id), result] }, [
      { actor: 'supervisor', kind: 'merge-landed', details: { task: id, target: record.target, from: record.from, to: record.to, backup: record.backupRef } },
    ]);
    const task = getTask(this.sup.state, id);
    this.sup.notify({ kind: 'finished', task: id, message: `${formatId(id)} ${task?.title ?? ''}: ${message}` });
    await this.sup.runtime.stop(id);
    await this.sup.afterTaskEnded(id);
    if (task?.worktree) {
      const archive = await archiveTaskWork(this.repo, id, { worktree: existsSync(task.worktree) ? task.worktree : null, branch: task.branch }, 'merged');
      await removeWorktree(this.repo, task.worktree).catch(() => undefined);
      await this.sup.apply(updateTask(this.sup.state, id, { worktree: null, ports: null }, this.sup.now()), [
        { actor: 'supervisor', kind: 'worktree-removed', details: { task: id, path: task.worktree, archive: archive?.ref ?? null, commit: archive?.commit ?? null } },
      ]);
    }
  }

  /** Back to the agent with the operator's feedback: typed into a live session, or a new session. */
  async reject(id: TaskId, reason: string, actor: string): Promise<void> {
    const task = getTask(this.sup.state, id);
    if (!task) throw new MusterError('not-found', `No task ${formatId(id)}.`);
    if (!reason.trim()) throw new MusterError('bad-input', 'Say what to change: muster merge reject 4 --reason "the tests fail on empty input"');
    if (task.state === 'merging') throw new MusterError('conflict', `${formatId(id)} is being merged right now; reject it once its gates have finished.`);
    if (task.state !== 'review') throw new MusterError('invalid-state', `${formatId(id)} is ${task.state}; only a task in review can be rejected.`);
    const feedback = [...task.feedback, reason.trim()];
    const events: AuditInput[] = [{ actor, kind: 'merge-rejected', details: { task: id, feedback: reason } }];
    if (this.sup.runtime.isRunning(id)) {
      this.sup.runtime.write(id, `${reason.trim().replace(/\r?\n/g, ' ')}\r`);
      const moved = unwrap(transition(this.sup.state, id, 'running', this.sup.now(), 'rejected: feedback typed into its session'));
      await this.sup.apply(updateTask(moved, id, { feedback }, this.sup.now()), events);
      return;
    }
    const moved = unwrap(transition(this.sup.state, id, 'ready', this.sup.now(), 'rejected: restarts with the feedback'));
    await this.sup.apply(updateTask(moved, id, { feedback }, this.sup.now()), events);
  }

  async skip(id: TaskId, actor: string): Promise<TaskId[]> {
    const next = unwrap(skipMerge(this.queue(), id));
    await this.sup.apply({ ...this.sup.state, order: withMergeOrder(this.sup.state.order, next) }, [{ actor, kind: 'merge-skipped', details: { task: id } }]);
    return this.queue();
  }

  /** The last landing comes off the target, if nothing else moved it since; the task goes back to review. */
  async undo(actor: string): Promise<{ task: TaskId; target: string; from: string; to: string }> {
    const checkout = await checkoutOf(this.repo, this.target);
    const dirty = checkout ? (await dirtyPaths(checkout)).length > 0 : false;
    const plan = unwrap(
      planUndo(this.sup.state.merges, await this.targetTip(), {
        target: this.target,
        now: this.sup.now(),
        checkout: checkout ? (dirty ? 'dirty' : 'clean') : 'absent',
        inProgress: this.sup.state.mergeRun?.task ?? null,
      }),
    );
    for (const k of plan.keep) await git(this.repo, ['update-ref', '-m', 'muster: undone landing', k.ref, k.commit]);
    const cas = await compareAndSwap(this.repo, plan.ref, plan.to, plan.expectedOld, `muster: undo landing of task #${plan.task}`);
    if (!cas.ok) throw new MusterError('conflict', `Cannot undo: ${this.target} moved meanwhile (${cas.actual?.slice(0, 7) ?? 'gone'}). Revert the merge with a new commit instead.`);
    if (plan.syncCheckout && checkout) await syncCheckout(checkout, plan.expectedOld, plan.to);
    this.sup.forgetTip();
    const history = recordUndo(this.sup.state.merges, plan, this.sup.now());
    const back = transition(this.sup.state, plan.task, 'review', this.sup.now(), `merge undone; ${this.target} is back at ${plan.to.slice(0, 7)}`);
    await this.sup.apply({ ...(back.ok ? back.value : this.sup.state), merges: history }, [
      { actor, kind: 'merge-undone', details: { task: plan.task, target: this.target, from: plan.expectedOld, to: plan.to, kept: plan.keep.map((k) => k.ref) } },
    ]);
    return { task: plan.task, target: this.target, from: plan.expectedOld, to: plan.to };
  }

  /** A run the previous supervisor left: landed if the target moved, else stopped and back in review. */
  async recover(): Promise<void> {
    const run = this.sup.state.mergeRun;
    if (!run || run.phase === 'done') {
      if (run) await this.sup.apply({ ...this.sup.state, mergeRun: null }, []);
      return;
    }
    if (run.record) {
      await this.landed(run.record, run.gateResults.map((g) => ({ name: g.name, ok: g.ok })), 'the supervisor restarted during the landing; check the main worktree');
      return;
    }
    const back = transition(this.sup.state, run.task, 'review', this.sup.now(), `merge interrupted by a supervisor restart; ${this.target} did not move. y approves it again.`);
    await this.sup.apply({ ...(back.ok ? back.value : this.sup.state), mergeRun: null }, [{ actor: 'supervisor', kind: 'merge-interrupted', details: { task: run.task } }]);
  }
}
