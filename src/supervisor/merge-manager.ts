import { join } from 'node:path';
import {
  advance,
  mergeQueueOrder,
  planApproval,
  recoverRun,
  skipMerge,
  withMergeOrder,
  type MergeRecord,
  type MergeRun,
  type MergeStep,
  type StepOutcome,
} from '../core/merge-plan.js';
import type { MergeResultRecord } from '../core/state.js';
import { getTask, transition, updateTask } from '../core/task-queue.js';
import { formatId, type TaskId } from '../core/task.js';
import { resolveCommit } from '../adapters/git/git.js';
import { countCommits, isAncestor, updateRef } from '../adapters/git/history.js';
import { readBranchTip } from '../adapters/git/target-tip.js';
import { checkoutBlockers, checkoutOf, compareAndSwap, dirtyPaths, ensureIntegrationWorktree, integrate, syncCheckout } from '../adapters/git/integration.js';
import { archiveTaskWork } from '../adapters/git/snapshot.js';
import { removeWorktree } from '../adapters/git/worktrees.js';
import { runGate } from '../adapters/gates/run-gate.js';
import { describeProcesses } from '../adapters/proc/process-groups.js';
import { MusterError } from '../protocol/errors.js';
import type { ResultOf } from '../protocol/methods.js';
import type { ApproveResult } from '../protocol/shapes.js';
import type { AgentRuntime } from './agent-runtime.js';
import type { LockManager } from './lock-manager.js';
import type { StateCell } from './state-cell.js';
import { unwrap } from './handlers/refusal.js';
import { recoverUndo, undoLastLanding } from './merge-undo.js';
import { pauseAt } from '../adapters/proc/test-pause.js';

/**
 * The merge queue: approvals run step by step as the pure merge plan says (integrate in a
 * detached worktree, gates on the merged result, compare-and-swap of the target), with the
 * run persisted between steps; reject, skip and undo.
 */
export class MergeManager {
  private settle!: () => void;
  /**
   * Resolves once `recover` has squared a run the previous supervisor left with git. Clients
   * connect before that (the daemon listens first): an approval or undo meanwhile waits, or it
   * would find that run still open, or act on a history that lacks its landing.
   */
  private readonly recovered = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    private readonly cell: StateCell,
    private readonly runtime: AgentRuntime,
    private readonly locks: LockManager,
  ) {}

  private get target(): string {
    return this.cell.ctx.target;
  }

  private get repo(): string {
    return this.cell.ctx.paths.repo.mainRoot;
  }

  get integrationPath(): string {
    return this.cell.integrationPath;
  }

  queue(): TaskId[] {
    return mergeQueueOrder(this.cell.state.tasks, this.cell.state.order);
  }

  async targetTip(): Promise<string> {
    const tip = await readBranchTip(this.repo, this.cell.ctx.paths.repo.commonDir, this.target);
    if (tip === null) throw new MusterError('failure', `The target branch "${this.target}" has no commit.`);
    return tip;
  }

  async approve(id: TaskId, actor: string, byOperator: boolean): Promise<ApproveResult> {
    await this.recovered;
    const task = getTask(this.cell.state, id);
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
        strategy: this.cell.config.merge.strategy,
        gates: this.cell.config.quality_gates.map((g) => g.name),
        targetCheckedOut: checkout !== null,
        now: this.cell.now(),
        inProgress: this.cell.state.mergeRun?.task ?? null,
      }),
    );
    const merging = unwrap(transition(this.cell.state, id, 'merging', this.cell.now(), 'merging: integrating'));
    await this.cell.apply({ ...merging, mergeRun: run }, [
      { actor, kind: 'merge-approved', details: { task: id, target: this.target, onto: run.onto, strategy: run.strategy } },
    ]);
    run = await this.drive(run, checkout);
    return this.finish(run);
  }

  /** Runs the run's steps to its outcome, persisting it after each (`merge:<step>` and `merge:<step>-done` are the fault suite's pause points). */
  private async drive(run: MergeRun, checkout: string | null): Promise<MergeRun> {
    const id = run.task;
    while (run.next) {
      const step = run.next;
      await this.cell.patchTask(id, { reason: `merging: ${step.kind}${run.attempt > 1 ? ` (attempt ${run.attempt})` : ''}` });
      await pauseAt(this.cell, `merge:${step.kind}`);
      const outcome = await this.execute(step, run, checkout);
      await pauseAt(this.cell, `merge:${step.kind}-done`);
      run = unwrap(advance(run, outcome, this.cell.now()));
      await this.cell.apply({ ...this.cell.state, mergeRun: run }, [
        { actor: 'supervisor', kind: 'merge-step', details: { task: id, step: step.kind, outcome: outcome.kind, attempt: run.attempt } },
      ]);
    }
    await pauseAt(this.cell, 'merge:finish');
    return run;
  }

  private async execute(step: MergeStep, run: MergeRun, checkout: string | null): Promise<StepOutcome> {
    try {
      switch (step.kind) {
        case 'integrate': {
          await ensureIntegrationWorktree(this.repo, this.integrationPath, step.onto);
          const title = getTask(this.cell.state, run.task)?.title ?? '';
          const r = await integrate(this.integrationPath, this.repo, {
            branch: step.branch,
            onto: step.onto,
            strategy: step.strategy,
            message: `Merge task #${run.task}: ${title} (muster)`,
          });
          if (r.kind === 'integrated') await updateRef(this.repo, step.keepAs, r.commit, 'muster: integration result');
          return r;
        }
        case 'gates': {
          const results = [];
          for (const gate of this.cell.config.quality_gates) {
            if (!step.names.includes(gate.name)) continue;
            await this.cell.patchTask(run.task, { reason: `merging: gate ${gate.name}` });
            const log = join(this.cell.ctx.paths.tasksDir, String(run.task), 'gates', `${run.stamp}-${run.attempt}-${gate.name.replace(/[^\w.-]+/g, '_')}.log`);
            const env = { ...process.env, MUSTER_MERGE_TASK: String(run.task), MUSTER_MERGE_COMMIT: step.commit };
            const g = await runGate(gate.run, this.integrationPath, gate.timeout, log, env);
            results.push({ name: gate.name, ok: g.ok, output: g.output });
            // The first failure decides; later gates would only cost time.
            if (!g.ok) break;
          }
          return { kind: 'gates-finished', results };
        }
        case 'check-checkout': {
          if (!checkout) return { kind: 'checkout-checked', dirty: false };
          const paths = await dirtyPaths(checkout);
          if (paths.length) return { kind: 'checkout-checked', dirty: true, paths };
          const { inTheWay, refusal } = await checkoutBlockers(checkout, step.from, step.to);
          return { kind: 'checkout-checked', dirty: false, inTheWay, refusal };
        }
        case 'backup':
          await updateRef(this.repo, step.ref, step.commit, 'muster: tip before a landing');
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

  private async finish(run: MergeRun): Promise<ApproveResult> {
    const outcome = run.outcome;
    if (!outcome) throw new Error('a merge run finished without an outcome');
    const id = run.task;
    const now = this.cell.now();
    const gates = run.gateResults.map((g) => ({ name: g.name, ok: g.ok }));
    if (!outcome.landed) {
      const result: MergeResultRecord = {
        task: id,
        at: now,
        landed: false,
        reason: outcome.reason,
        message: outcome.message,
        gate: outcome.gate ?? null,
        paths: outcome.paths ?? [],
        gates,
      };
      const back = transition(this.cell.state, id, 'review', now, outcome.message);
      const base = back.ok ? back.value : this.cell.state;
      await this.cell.apply({ ...base, mergeRun: null, mergeResults: [...base.mergeResults.filter((r) => r.task !== id), result] }, [
        {
          actor: 'supervisor',
          kind: 'merge-stopped',
          details: { task: id, reason: outcome.reason, gate: outcome.gate?.name ?? null, paths: outcome.paths ?? [] },
        },
      ]);
      return {
        landed: false,
        reason: outcome.reason,
        message: outcome.message,
        ...(outcome.gate ? { gate: outcome.gate } : {}),
        ...(outcome.paths ? { paths: outcome.paths } : {}),
      };
    }
    const more = await this.landed(outcome.record, gates, outcome.warning, run.branch, run.branchTip ?? null);
    const warning = [outcome.warning, more].filter(Boolean).join('; ') || null;
    return { landed: true, target: this.target, from: outcome.record.from, to: outcome.record.to, warning };
  }

  /**
   * After the target moved: the task is merged, its locks, slot and worktree go (the worktree
   * only once all of it is archived). An agent still live in review is stopped first, and
   * commits it made on the branch after `merged` (the tip this landing merged) are named:
   * they did not land. Returns what the approval's warning adds.
   */
  private async landed(
    record: MergeRecord,
    gates: { name: string; ok: boolean }[],
    warning: string | null,
    branch: string,
    merged: string | null,
  ): Promise<string | null> {
    this.cell.forgetTip();
    const id = record.task;
    const alive = await this.runtime.stop(id);
    const movedOn = await this.commitsAfter(branch, merged);
    const now = this.cell.now();
    const message = `landed on ${record.target} at ${record.to.slice(0, 7)}${[warning, movedOn]
      .filter(Boolean)
      .map((w) => `; ${w}`)
      .join('')}`;
    const result: MergeResultRecord = { task: id, at: now, landed: true, reason: null, message, gate: null, paths: [], gates };
    const moved = transition(this.cell.state, id, 'merged', now, message);
    const base = moved.ok ? moved.value : this.cell.state;
    await this.cell.apply(
      { ...base, merges: [...base.merges, record], mergeRun: null, mergeResults: [...base.mergeResults.filter((r) => r.task !== id), result] },
      [{ actor: 'supervisor', kind: 'merge-landed', details: { task: id, target: record.target, from: record.from, to: record.to, backup: record.backupRef } }],
    );
    const task = getTask(this.cell.state, id);
    this.cell.notify({ kind: 'finished', task: id, message: `${formatId(id)} ${task?.title ?? ''}: ${message}` });
    await this.locks.taskEnded(id);
    if (!task?.worktree) return movedOn;
    const kept = alive.length
      ? await this.keepWorktree(
          id,
          task.worktree,
          `its worktree ${task.worktree} stays: processes of its run are still alive after SIGKILL (${describeProcesses(alive)}). "muster gc" removes it once they are gone.`,
        )
      : await this.retireWorktree(id, task.worktree, task.branch);
    return [movedOn, kept].filter(Boolean).join('; ') || null;
  }

  /** What the branch got after the landing merged `merged`: a sentence naming the commits that did not land, or null. */
  private async commitsAfter(branch: string, merged: string | null): Promise<string | null> {
    if (!merged) return null;
    const tip = await resolveCommit(this.repo, `refs/heads/${branch}`);
    if (!tip || tip === merged) return null;
    const count = await countCommits(this.repo, merged, tip);
    if (!count) return null;
    const commits = count === 1 ? '1 commit' : `${count} commits`;
    return `${branch} moved on while it was being merged: ${commits} made after ${merged.slice(0, 7)} did not land (they stay on ${branch} and in the task's archive); land them with a new task or by hand`;
  }

  /**
   * Archives a landed task's worktree and removes it, or keeps it and says why: nothing is
   * removed unless its snapshot holds every file in it.
   */
  private async retireWorktree(id: TaskId, worktree: string, branch: string | null): Promise<string | null> {
    await pauseAt(this.cell, 'merge:archive');
    const archive = await archiveTaskWork(this.repo, id, { worktree, branch }, 'merged', {
      exclude: this.cell.config.worktrees.archive_exclude,
      whileScratch: () => pauseAt(this.cell, 'merge:archive-scratch'),
    });
    let kept: string;
    if (archive.ok) {
      await pauseAt(this.cell, 'merge:remove-worktree');
      const failed = await removeWorktree(this.repo, archive.kept).then(
        () => null,
        (e: unknown) => (e as Error).message,
      );
      if (!failed) {
        await pauseAt(this.cell, 'merge:remove-worktree-done');
        await this.cell.apply(updateTask(this.cell.state, id, { worktree: null, ports: null }, this.cell.now()), [
          {
            actor: 'supervisor',
            kind: 'worktree-removed',
            details: {
              task: id,
              path: worktree,
              archive: archive.ref,
              commit: archive.commit,
              nested: archive.nested,
              skipped: archive.skipped,
              reflog: archive.reflog,
            },
          },
        ]);
        return null;
      }
      kept = `its worktree ${worktree} stays: it was archived at ${archive.ref ?? 'no ref'}, but removing it failed (${failed})`;
    } else {
      kept = `its worktree ${worktree} stays: ${archive.reason}. "muster gc" tries again once that is fixed.`;
    }
    return this.keepWorktree(id, worktree, kept);
  }

  private async keepWorktree(id: TaskId, worktree: string, why: string): Promise<string> {
    await this.cell.apply(updateTask(this.cell.state, id, { ports: null, reason: `${getTask(this.cell.state, id)?.reason ?? ''}; ${why}` }, this.cell.now()), [
      { actor: 'supervisor', kind: 'worktree-kept', details: { task: id, path: worktree, why } },
    ]);
    return why;
  }

  async skip(id: TaskId, actor: string): Promise<TaskId[]> {
    const next = unwrap(skipMerge(this.queue(), id));
    await this.cell.apply({ ...this.cell.state, order: withMergeOrder(this.cell.state.order, next) }, [
      { actor, kind: 'merge-skipped', details: { task: id } },
    ]);
    return this.queue();
  }

  /** The last landing comes off the target, if nothing else moved it since; the task goes back to review. */
  async undo(actor: string): Promise<ResultOf<'merge.undo'>> {
    await this.recovered;
    return undoLastLanding(this.cell, this.locks, this.target, actor);
  }

  /**
   * A run the previous supervisor left, squared with git (see `recoverRun`): the target's real
   * tip decides whether it landed; a landing is recorded and its fast-forward of the main
   * worktree finished; otherwise the task goes back to review. A run that had finished only
   * has its outcome recorded. The daemon calls it once, at start.
   */
  async recover(): Promise<void> {
    try {
      await this.recoverLeftovers();
    } finally {
      this.settle();
    }
  }

  private async recoverLeftovers(): Promise<void> {
    await recoverUndo(this.cell, this.locks, this.target);
    await this.recoverRun();
    await this.finishRetirements();
  }

  /**
   * Landed tasks whose retirement a killed supervisor left half done (it holds the port slot
   * until the worktree is archived and removed, or kept with the reason): finished now, as
   * the landing would have.
   */
  private async finishRetirements(): Promise<void> {
    for (const task of this.cell.state.tasks) {
      if (task.state !== 'merged' || task.ports === null) continue;
      const alive = await this.runtime.stop(task.id);
      await this.locks.taskEnded(task.id);
      if (!task.worktree) {
        await this.cell.apply(updateTask(this.cell.state, task.id, { ports: null }, this.cell.now()), []);
        continue;
      }
      const why = alive.length
        ? await this.keepWorktree(
            task.id,
            task.worktree,
            `its worktree ${task.worktree} stays: processes of its run are still alive after SIGKILL (${describeProcesses(alive)}). "muster gc" removes it once they are gone.`,
          )
        : await this.retireWorktree(task.id, task.worktree, task.branch);
      this.cell.audit([{ actor: 'supervisor', kind: 'landing-retired', details: { task: task.id, worktree: task.worktree, kept: why } }]);
    }
  }

  private async recoverRun(): Promise<void> {
    let run = this.cell.state.mergeRun;
    if (!run) return;
    if (run.phase !== 'done') {
      const tip = await resolveCommit(this.repo, `refs/heads/${run.target}`);
      const below = run.result !== null && tip !== null && tip !== run.result && (await isAncestor(this.repo, run.result, tip));
      const was = run.phase;
      run = recoverRun(run, { tip, resultBelowTip: below }, this.cell.now());
      if (run.record && (await resolveCommit(this.repo, run.record.backupRef)) === null) {
        await updateRef(this.repo, run.record.backupRef, run.record.from, 'muster: tip before a landing (recovered)');
      }
      await this.cell.apply({ ...this.cell.state, mergeRun: run }, [
        { actor: 'supervisor', kind: 'merge-recovered', details: { task: run.task, phase: was, tip, landed: run.record !== null } },
      ]);
      run = await this.drive(run, await checkoutOf(this.repo, run.target));
    }
    await this.finish(run);
  }
}
