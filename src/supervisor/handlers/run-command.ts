import { decide, type Decision, type PrepareEffect, type TaskCommand, type TaskEffect } from '../../core/task-lifecycle.js';
import { getTask } from '../../core/task-queue.js';
import { archiveTaskWork } from '../../adapters/git/snapshot.js';
import { describeProcesses } from '../../adapters/proc/process-groups.js';
import { PromptWriteError, writePrompt } from '../../adapters/store/prompt-files.js';
import { isDiskFailure, StoreWriteError } from '../../adapters/store/write-error.js';
import type { Task } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { Services } from '../services.js';
import { pauseAt } from '../../adapters/proc/test-pause.js';
import { refusalError } from './task-refusals.js';

/**
 * Runs a task command through the lifecycle: decide, run the effects it names (deciding again
 * with their outcome), then record the state it leaves. Returns the recording decision.
 */
export async function runCommand(sup: Services, command: TaskCommand): Promise<Extract<Decision, { kind: 'record' }>> {
  for (;;) {
    const d = decide(command, sup.cell.state, sup.cell.now());
    if (d.kind === 'refused') throw refusalError(d.reason);
    if (d.kind === 'run') {
      let outcome: Partial<Record<'stopped' | 'archive', unknown>> = {};
      for (const effect of d.effects) outcome = { ...outcome, ...(await runEffect(sup, effect)) };
      command = { ...command, ...outcome } as TaskCommand;
      if (command.kind === 'cancel') await pauseAt(sup.cell, 'cancel:record');
      continue;
    }
    // No await from the decision to its record: a request in between would decide on the same state.
    for (const effect of d.prepare) prepare(sup, effect);
    if (d.state !== sup.cell.state || d.events.length) await sup.cell.apply(d.state, d.events);
    for (const effect of d.effects) await runEffect(sup, effect);
    return d;
  }
}

/** Runs one effect of a lifecycle decision; what it returns is the outcome the command is decided again with. */
async function runEffect(sup: Services, effect: TaskEffect): Promise<Partial<Record<'stopped' | 'archive', unknown>>> {
  switch (effect.kind) {
    case 'stop-agent': {
      const alive = await sup.runtime.stop(effect.task);
      return { stopped: { alive: alive.length ? describeProcesses(alive) : null } };
    }
    case 'archive-work': {
      await pauseAt(sup.cell, 'cancel:archive');
      const task = getTask(sup.cell.state, effect.task);
      const archive = await archiveTaskWork(
        sup.cell.ctx.paths.repo.mainRoot,
        effect.task,
        { worktree: task?.worktree ?? null, branch: task?.branch ?? null },
        effect.why,
        { exclude: sup.cell.config.worktrees.archive_exclude },
      );
      return { archive: archive.ok ? { ok: true, ref: archive.ref, commit: archive.commit } : { ok: false, reason: archive.reason } };
    }
    case 'task-ended':
      await sup.locks.taskEnded(effect.task);
      return {};
  }
}

function prepare(sup: Services, effect: PrepareEffect): void {
  switch (effect.kind) {
    case 'save-prompt':
      savePrompts(sup, [[effect.task, effect.text]]);
      return;
    case 'type-into-session':
      sup.runtime.write(effect.task, effect.text);
      return;
  }
}

/**
 * Every prompt on disk before any task that refers to one is committed; a failed write adds
 * nothing. A full disk is refused in the store's own words (the prompt file is simply the first
 * write to meet it), so the operator reads one message for it whichever file that was.
 */
export function savePrompts(sup: Services, prompts: readonly (readonly [Task, string])[]): void {
  try {
    for (const [task, text] of prompts) writePrompt(sup.cell.ctx.paths.stateDir, task.prompt, text);
  } catch (e) {
    if (!(e instanceof PromptWriteError)) throw e;
    if (isDiskFailure(e.cause)) throw new StoreWriteError(e.file, e.cause);
    throw new MusterError('failure', `Nothing was added: ${e.message}. Free space or fix the state directory, then add the task again.`);
  }
}
