import type { ResultOf } from '../../src/protocol/methods.js';
import type { Then } from './cockpit-command.js';
import { fail, say, withIo, withUi, type CockpitModel } from './cockpit-model.js';
import { upsertTask } from './cockpit-state.js';
import { nextStepKeys } from './detail-lines.js';
import { movedText } from './messages.js';
import { lockReleased, lockStolen } from './peers.js';
import { askRefresh, detailAnswered, loadView, refreshFailed, statusAnswered, viewAnswered, type Step } from './refresh.js';
import { openScrollback, readerRows } from './scrollback.js';
import { answerAcked, formAnswered, formRefused } from './submit-form.js';

const only = (m: CockpitModel): Step => [m, []];

/**
 * What an answer of the supervisor does, by what it was for: mostly say the outcome, then read
 * what it changed. Each result is the one of the method `then` was made with (a `call` pairs
 * them), which the casts below restate.
 */
export function answered(m: CockpitModel, then: Then, result: unknown): Step {
  switch (then.kind) {
    case 'subscribed':
      return askRefresh(then.reconnected ? withIo(m, { greet: true }) : m);
    case 'status':
      return statusAnswered(m, then, result as ResultOf<'status'>);
    case 'view':
      return viewAnswered(m, then, result);
    case 'detail':
      return detailAnswered(m, then, { detail: result as ResultOf<'task.detail'> });
    case 'dispatch-toggled':
      return askRefresh(say(m, then.paused ? 'Dispatch resumed.' : 'Dispatch paused: running agents go on, no new task starts.'));
    case 'moved':
      return askRefresh(say(m, movedText(then.task, then.dir, result as ResultOf<'task.move'>, then.merges, then.before)));
    case 'retried':
      return only(say(m, `#${then.task} queued again.`));
    case 'done':
      return only(say(m, `#${then.task} is ready for review.`));
    case 'cancelled': {
      const v = result as ResultOf<'task.cancel'>;
      return only(say(m, `Cancelled #${then.task}${v.reason ? ` (${v.reason})` : ''}.`));
    }
    case 'diff': {
      const { diff } = result as ResultOf<'merge.diff'>;
      return only(withUi(m, (s) => ({ ...s, overlay: { kind: 'diff', task: then.task, lines: diff.split('\n'), scroll: 0 } })));
    }
    case 'approved': {
      const r = result as ResultOf<'merge.approve'>;
      const idle = withUi(m, (s) => ({ ...s, busy: null }));
      if (r.landed)
        return askRefresh(
          say(idle, `Landed #${then.task} on ${r.target}: ${r.from.slice(0, 7)} → ${r.to.slice(0, 7)}.${r.warning ? ` ${r.warning}` : ''}`, 'notice'),
        );
      const step = nextStepKeys(r.reason, m.bindings, 'merges');
      return askRefresh(say(idle, `${r.message}${step ? ` ${step}` : ''}`, 'error'));
    }
    case 'skipped':
      return loadView(say(m, `#${then.task} moved to the back of the merge queue.`), 'merges', false);
    case 'undone': {
      const r = result as ResultOf<'merge.undo'>;
      const title = m.ui.tasks.find((t) => t.id === r.task)?.title;
      return askRefresh(
        say(
          m,
          `Undid the merge of #${r.task}${title ? ` ${title}` : ''}: ${r.target} is back at ${r.to.slice(0, 7)} (was ${r.from.slice(0, 7)}, kept under refs/muster/undone/); the task is in review again.`,
          'notice',
        ),
      );
    }
    case 'acked': {
      const r = result as ResultOf<'context.ack'>;
      const n = Math.max(0, then.before - r.unread);
      return askRefresh(
        say(m, n ? `Acknowledged ${n} blocker${n === 1 ? '' : 's'}; the header stops counting ${n === 1 ? 'it' : 'them'}.` : 'No new blockers to acknowledge.'),
      );
    }
    case 'dismissed': {
      const v = result as ResultOf<'agent.dismiss'>;
      return only(
        say(
          withUi(m, (s) => upsertTask(s, v)),
          `Put away #${then.task}'s last screen; muster log ${then.task} still prints it.`,
        ),
      );
    }
    case 'history': {
      const history = result as ResultOf<'term.history'>;
      return only(
        withUi(m, (s) => ({
          ...s,
          busy: null,
          overlay: openScrollback(then.task, history, { width: s.size.cols, height: readerRows(s.size) }, { reattach: then.reattach, pagesUp: then.pagesUp }),
        })),
      );
    }
    case 'submitted':
      return formAnswered(m, then.form, result);
    case 'answer-recorded':
      return answerAcked(m, then.section);
    case 'released': {
      const r = result as ResultOf<'lock.release'>;
      const said = lockReleased(m, then.lock, r.released.length);
      return r.released.length ? askRefresh(said) : only(said);
    }
    case 'stolen': {
      const r = result as ResultOf<'lock.acquire'>;
      return r.granted ? askRefresh(lockStolen(m, then.lock, true)) : only(lockStolen(m, then.lock, false));
    }
  }
}

/** What a refusal does: said in the status line, or where the thing asked for shows it. */
export function refused(m: CockpitModel, then: Then, error: string): Step {
  switch (then.kind) {
    case 'status':
      return refreshFailed(m, then.generation, error);
    case 'view':
      return then.refresh ? refreshFailed(m, then.generation, error) : only(fail(m, error));
    case 'detail':
      return detailAnswered(m, then, { error });
    case 'submitted':
    case 'answer-recorded':
      return only(formRefused(m, then.form, error));
    case 'approved':
    case 'history':
      return only(
        fail(
          withUi(m, (s) => ({ ...s, busy: null })),
          error,
        ),
      );
    default:
      return only(fail(m, error));
  }
}
