import type { StopReason } from '../../core/task-lifecycle.js';
import { formatId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';

/** A lifecycle refusal in the words every client shows, with what to do next. */
export function refusalError(r: StopReason): MusterError {
  switch (r.why) {
    case 'no-such-task':
      return new MusterError('not-found', `No task ${formatId(r.task)}. "muster task list" shows the tasks there are.`);
    case 'already-cancelled':
      return new MusterError('invalid-state', `Task ${formatId(r.task)} is already cancelled.`);
    case 'landed':
      return new MusterError(
        'invalid-state',
        `Task ${formatId(r.task)} is ${r.state}; a landed task cannot be cancelled ("muster merge undo" takes a merge back).`,
      );
    case 'not-reassignable':
      return new MusterError('invalid-state', `Task ${formatId(r.task)} is ${r.state}; only a task that has not landed can be given another agent.`);
    case 'not-doable':
      return new MusterError('invalid-state', `Task ${formatId(r.task)} is ${r.state}; only a running, stalled or failed task can be marked done.`);
    case 'not-retryable':
      return new MusterError('invalid-state', `Task ${formatId(r.task)} is ${r.state}; only a failed, stalled or cancelled task can be retried.`);
    case 'still-alive':
      return new MusterError(
        'invalid-state',
        `Task ${formatId(r.task)} cannot be retried yet: its previous run is still alive after SIGKILL (${r.processes}). Stop those processes, then retry.`,
      );
    case 'no-feedback':
      return new MusterError('bad-input', 'Say what to change: muster merge reject 4 --reason "the tests fail on empty input"');
    case 'being-merged':
      return new MusterError('conflict', `${formatId(r.task)} is being merged right now; reject it once its gates have finished.`);
    case 'not-in-review':
      return new MusterError('invalid-state', `${formatId(r.task)} is ${r.state}; only a task in review can be rejected.`);
    case 'refused':
      return new MusterError(r.refusal.kind, r.refusal.message);
  }
}
