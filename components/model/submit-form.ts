import { displayKey, keysFor } from '../../src/keymap/index.js';
import type { ResultOf } from '../../src/protocol/methods.js';
import { call, type Then } from './cockpit-command.js';
import { closeOverlay, say, withIo, withUi, type CockpitModel } from './cockpit-model.js';
import type { FormState } from './cockpit-state.js';
import { fieldValue, listValue } from './forms.js';
import { askRefresh, andThen, type Step } from './refresh.js';

/** The form shown again with the reason it was not taken, so nothing typed is lost. */
export function formRefused(m: CockpitModel, form: FormState, error: string): CockpitModel {
  return withUi(withIo(m, { submitting: false }), (s) =>
    s.overlay?.kind === 'scrollback' && s.overlay.search
      ? { ...s, overlay: { ...s.overlay, search: { ...form, error } } }
      : { ...s, overlay: { kind: 'form', form: { ...form, error } } },
  );
}

/** Sends the form on screen; while its answer is awaited, another enter does nothing. */
export function submitForm(m: CockpitModel): Step {
  const o = m.ui.overlay;
  // A second enter while the supervisor answers would add the task twice.
  if (o?.kind !== 'form' || m.io.submitting) return [m, []];
  const form = o.form;
  const then: Then = { kind: 'submitted', form };
  const sending = withIo(m, { submitting: true });
  switch (form.kind) {
    case 'new-task': {
      const after = listValue(form, 'after').map((x) => Number(x.replace(/^#/, '')));
      if (after.some((x) => !Number.isInteger(x) || x < 1)) return [formRefused(m, form, 'After takes task ids such as 3, 5.'), []];
      const params = {
        title: fieldValue(form, 'title'),
        prompt: fieldValue(form, 'prompt') || undefined,
        agent: fieldValue(form, 'agent') || undefined,
        writes: listValue(form, 'writes'),
        reads: listValue(form, 'reads'),
        after,
        risk: fieldValue(form, 'risk') || undefined,
      };
      return [sending, [call('task.add', params, then)]];
    }
    case 'reassign':
      return form.task === null ? [m, []] : [sending, [call('task.assign', { id: form.task, agent: fieldValue(form, 'agent') }, then)]];
    case 'reject':
      return form.task === null ? [m, []] : [sending, [call('merge.reject', { id: form.task, reason: fieldValue(form, 'feedback') }, then)]];
    case 'reply': {
      if (form.task === null) return [m, []];
      const text = fieldValue(form, 'reply');
      if (!text) return [formRefused(m, form, 'Type the reply first; enter sends it.'), []];
      return [sending, [call('term.input', { task: form.task, data: `${text}\r` }, then)]];
    }
    case 'answer': {
      if (!form.ref) return [m, []];
      const text = fieldValue(form, 'answer');
      if (!text) return [formRefused(m, form, 'Type the answer first; enter records it.'), []];
      const blocker = m.ui.context?.blockers.find((b) => b.key === form.ref);
      const about = blocker ? `Answer to ${blocker.author ? `${blocker.author}'s` : 'the'} blocker "${blocker.text}": ` : '';
      return [sending, [call('context.add', { text: `${about}${text}`, section: 'decisions' }, then)]];
    }
    case 'search':
      return [m, []];
  }
}

/** The supervisor took the form: it closes, the outcome is said, and what it changed is read. */
export function formAnswered(m: CockpitModel, form: FormState, result: unknown): Step {
  const done = (text: string, tone: 'info' | 'notice' = 'info'): Step =>
    andThen([say(closeOverlay(withIo(m, { submitting: false })), text, tone), []], askRefresh);
  switch (form.kind) {
    case 'new-task': {
      const t = result as ResultOf<'task.add'>;
      return done(`Added #${t.id} ${t.title} (${t.state}${t.reason ? `: ${t.reason}` : ''}).`);
    }
    case 'reassign': {
      const t = result as ResultOf<'task.assign'>;
      const restarting = t.state === 'ready' && t.sessions.length > 0;
      const resume = keysFor(m.bindings, 'dispatch.toggle')[0];
      if (restarting && m.ui.status?.paused)
        return done(
          `#${t.id} is now assigned to ${t.agent}. Its agent stopped, and dispatch is paused: ${t.agent} starts in the same worktree once dispatch resumes${resume ? ` (${displayKey(resume)})` : ''}.`,
          'notice',
        );
      return done(`#${t.id} is now assigned to ${t.agent}${restarting ? `; ${t.agent} starts in the same worktree with a hand-off note` : ''}.`);
    }
    case 'reject': {
      const t = result as ResultOf<'merge.reject'>;
      return done(`#${t.id} sent back to its agent with the feedback.`);
    }
    case 'reply': {
      const r = result as ResultOf<'term.input'>;
      if (!r.delivered) return [formRefused(m, form, `#${form.task}'s agent is not running any more; nothing was sent.`), []];
      return done(`Sent to #${form.task}: ${fieldValue(form, 'reply')}`);
    }
    case 'answer': {
      const r = result as ResultOf<'context.add'>;
      return [m, [call('context.ack', { keys: [form.ref!] }, { kind: 'answer-recorded', form, section: r.section })]];
    }
    case 'search':
      return [m, []];
  }
}

/** The answer is recorded and its blocker acknowledged. */
export function answerAcked(m: CockpitModel, section: string): Step {
  return andThen([say(closeOverlay(withIo(m, { submitting: false })), `Answered under "${section}"; the blocker is acknowledged.`), []], askRefresh);
}
