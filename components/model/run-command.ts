import type { CommandId } from '../../src/keymap/index.js';
import type { ParamsOf } from '../../src/protocol/methods.js';
import { boundKey } from '../key-words.js';
import { call } from './cockpit-command.js';
import { closeOverlay, say, withUi, type CockpitModel } from './cockpit-model.js';
import { exitedAgent, moveSelection, paneTasks, selectedTask, selection, type CockpitState, type FormState, type ViewName } from './cockpit-state.js';
import { CONFIRMATIONS } from './confirmations.js';
import { openDetail, scrollDetail, stepDetail } from './detail.js';
import { editForm, fieldValue, focusField, newTaskForm, reassignForm, rejectForm, type EditOp } from './forms.js';
import { detailTargets, nextWaiting, openAnswer, openReply, releaseLock, stealLock } from './peers.js';
import { loadView, type Step } from './refresh.js';
import { findMatch, readerRows, scrollBy, scrollTo, searchForm, type ScrollbackOverlay } from './scrollback.js';
import { scrollDiff, scrollHelp } from './overlay-scroll.js';
import { submitForm } from './submit-form.js';

const VIEW_OF: Partial<Record<CommandId, ViewName>> = {
  'view.agents': 'agents',
  'view.tasks': 'tasks',
  'view.locks': 'locks',
  'view.conflicts': 'conflicts',
  'view.merges': 'merges',
  'view.context': 'context',
};

const only = (m: CockpitModel): Step => [m, []];
const ui = (m: CockpitModel, change: (s: CockpitState) => CockpitState): Step => [withUi(m, change), []];

/** Runs a command of the key map; a dangerous one asks y/n first (`confirmed`: it was answered y). */
export function runCommand(m: CockpitModel, id: CommandId, confirmed = false): Step {
  const b = m.bindings.find((x) => x.id === id);
  if (b?.dangerous && !confirmed) {
    const c = CONFIRMATIONS[id]?.(m.ui) ?? { message: `${b.description}?`, task: selectedTask(m.ui)?.id ?? null };
    if ('refused' in c) return only(say(m, c.refused, 'error'));
    return ui(m, (s) => ({
      ...s,
      overlay: { kind: 'confirm', message: c.message, command: id, task: c.task, ...(c.item !== undefined ? { item: c.item } : {}) },
    }));
  }
  const view = VIEW_OF[id];
  if (view)
    return loadView(
      withUi(m, (s) => ({ ...s, view, overlay: null })),
      view,
      false,
    );
  return execute(m, id);
}

function execute(m: CockpitModel, id: CommandId): Step {
  const s = m.ui;
  switch (id) {
    case 'app.help':
      return ui(m, (x) => ({ ...x, overlay: { kind: 'help', scroll: 0 } }));
    case 'app.quit':
      if (s.tasks.some((t) => t.state === 'running')) return ui(m, (x) => ({ ...x, overlay: { kind: 'quit' } }));
      return [m, [{ kind: 'quit', mode: 'detach' }]];
    case 'repo.next':
    case 'repo.prev':
      if (!m.host.switchRepo)
        return only(say(m, 'This cockpit shows one repository; name several with --repo (repeatable) or in ~/.config/muster/fleet.yaml.'));
      return [m, [{ kind: 'switch-repo', delta: id === 'repo.next' ? 1 : -1 }]];
    case 'app.back':
      return ui(m, (x) => (x.flash ? { ...x, flash: null } : x.view !== 'agents' ? { ...x, view: 'agents' } : x));
    case 'nav.up':
    case 'nav.left':
      return ui(m, (x) => moveSelection(x, -1));
    case 'nav.prev-pane':
      return ui(m, (x) => (selection(x) === paneTasks(x)[0]?.id && x.view === 'agents' ? moveSelection(x, 'last') : moveSelection(x, -1)));
    case 'nav.down':
    case 'nav.right':
      return ui(m, (x) => moveSelection(x, 1));
    case 'nav.next-pane':
      return ui(m, (x) => (selection(x) === (paneTasks(x).at(-1)?.id ?? null) && x.view === 'agents' ? moveSelection(x, 'first') : moveSelection(x, 1)));
    case 'nav.page-up':
      return ui(m, (x) => moveSelection(x, -10));
    case 'nav.page-down':
      return ui(m, (x) => moveSelection(x, 10));
    case 'nav.top':
      return ui(m, (x) => moveSelection(x, 'first'));
    case 'nav.bottom':
      return ui(m, (x) => moveSelection(x, 'last'));
    case 'task.new':
      return ui(m, (x) => ({ ...x, overlay: { kind: 'form', form: newTaskForm(x.status?.defaultAgent ?? 'claude', x.status?.agents ?? []) } }));
    case 'dispatch.toggle': {
      const paused = s.status?.paused ?? false;
      return [m, [call(paused ? 'dispatch.resume' : 'dispatch.pause', {}, { kind: 'dispatch-toggled', paused })]];
    }
    case 'task.reassign': {
      const t = selectedTask(s);
      if (!t) return only(say(m, 'Select a task first.', 'error'));
      return ui(m, (x) => ({ ...x, overlay: { kind: 'form', form: reassignForm(t, x.status?.agents ?? []) } }));
    }
    case 'queue.move-up':
    case 'queue.move-down': {
      const t = selectedTask(s);
      if (!t) return noTask(m);
      const dir = id === 'queue.move-up' ? 'up' : 'down';
      const before = s.tasks.find((x) => x.id === t.id)?.position ?? null;
      return [
        m,
        [
          call(
            'task.move',
            { id: t.id, move: queueMove(s, t.id, dir === 'up' ? -1 : 1) },
            { kind: 'moved', task: t.id, dir, merges: s.view === 'merges', before },
          ),
        ],
      ];
    }
    case 'task.retry':
      return onTask(m, (t) => call('task.retry', { id: t }, { kind: 'retried', task: t }));
    case 'task.done':
      return onTask(m, (t) => call('task.done', { id: t }, { kind: 'done', task: t }));
    case 'task.cancel': {
      const t = selectedTask(s);
      return t ? [m, [call('task.cancel', { id: t.id }, { kind: 'cancelled', task: t.id })]] : only(m);
    }
    case 'agent.attach': {
      const t = selection(s, 'agents');
      if (typeof t !== 'number') return only(say(m, 'No agent is running.', 'error'));
      return [m, [{ kind: 'attach', task: t }]];
    }
    case 'merge.diff':
      return onTask(m, (t) => call('merge.diff', { id: t }, { kind: 'diff', task: t }));
    case 'merge.approve': {
      if (s.busy) return only(say(m, `Wait: ${s.busy} is still running.`, 'notice'));
      const t = selectedTask(s);
      if (!t) return noTask(m);
      const merging = say(
        withUi(m, (x) => ({ ...x, busy: `merging #${t.id}` })),
        `Merging #${t.id}: integrating and running the quality gates…`,
        'notice',
      );
      return [merging, [call('merge.approve', { id: t.id }, { kind: 'approved', task: t.id })]];
    }
    case 'merge.reject': {
      const t = selectedTask(s);
      if (!t) return only(say(m, 'Select a task first.', 'error'));
      return ui(m, (x) => ({ ...x, overlay: { kind: 'form', form: rejectForm(t) } }));
    }
    case 'merge.skip':
      return onTask(m, (t) => call('merge.skip', { id: t }, { kind: 'skipped', task: t }));
    case 'merge.undo':
      return [closeOverlay(m), [call('merge.undo', {}, { kind: 'undone' })]];
    case 'context.ack': {
      const before = s.status?.blockers.unread ?? s.context?.unread ?? 0;
      return [m, [call('context.ack', {}, { kind: 'acked', before })]];
    }
    case 'task.open':
    case 'task.detail': {
      const tasks = detailTargets(s);
      if (!tasks.length)
        return only(say(m, s.view === 'conflicts' ? 'Select a conflict first (arrows or j/k).' : 'Select a task first (arrows or j/k).', 'error'));
      return openDetail(m, tasks);
    }
    case 'detail.up':
    case 'detail.down':
    case 'detail.page-up':
    case 'detail.page-down':
    case 'detail.top':
    case 'detail.bottom':
      return only(scrollDetail(m, id));
    case 'detail.next':
    case 'detail.prev':
      return stepDetail(m, id === 'detail.next' ? 1 : -1);
    case 'detail.close':
      return only(closeOverlay(m));
    case 'agent.next-waiting':
      return only(nextWaiting(m));
    case 'agent.reply':
      return only(openReply(m));
    case 'context.answer':
      return only(openAnswer(m));
    case 'lock.release':
      return releaseLock(m);
    case 'lock.steal':
      return stealLock(m);
    case 'diff.up':
    case 'diff.down':
    case 'diff.page-up':
    case 'diff.page-down':
    case 'diff.top':
    case 'diff.bottom':
      return ui(m, (x) => scrollDiff(x, id));
    case 'form.cancel':
      if (s.overlay?.kind === 'scrollback') return only(withScrollback(m, (o) => ({ ...o, search: null })));
      return only(closeOverlay(m));
    case 'diff.close':
    case 'help.close':
    case 'confirm.no':
    case 'quit.cancel':
      return only(closeOverlay(m));
    case 'agent.dismiss': {
      const t = selectedTask(s);
      if (!t) return only(say(m, 'Select an agent first.', 'error'));
      if (!exitedAgent(t)) return only(say(m, `#${t.id}'s agent is still running: only an exited agent's screen can be put away.`, 'error'));
      return [m, [call('agent.dismiss', { id: t.id }, { kind: 'dismissed', task: t.id })]];
    }
    case 'agent.scrollback':
      return openScrollback(m, 0);
    case 'agent.page-up':
      return openScrollback(m, 1);
    case 'scrollback.up':
    case 'scrollback.down':
    case 'scrollback.page-up':
    case 'scrollback.page-down':
      return only(
        withScrollback(m, (o, h) => scrollBy(o, { 'scrollback.up': -1, 'scrollback.down': 1, 'scrollback.page-up': -h, 'scrollback.page-down': h }[id], h)),
      );
    case 'scrollback.top':
      return only(withScrollback(m, (o, h) => scrollTo(o, 0, h)));
    case 'scrollback.bottom':
      return only(withScrollback(m, (o, h) => scrollTo(o, Infinity, h)));
    case 'scrollback.search':
      return only(withScrollback(m, (o) => ({ ...o, search: searchForm(o), note: null })));
    case 'scrollback.next':
    case 'scrollback.prev':
      return only(
        withScrollback(m, (o, h) => (o.query ? findMatch(o, o.query, id === 'scrollback.next', h) : { ...o, note: '/ searches first; then n and N go on.' })),
      );
    case 'scrollback.close': {
      const o = s.overlay;
      return [closeOverlay(m), o?.kind === 'scrollback' && o.reattach ? [{ kind: 'attach', task: o.task }] : []];
    }
    case 'help.up':
    case 'help.down':
      return ui(m, (x) => scrollHelp(x, m.bindings, id === 'help.up' ? -1 : 1));
    case 'form.next-field':
    case 'form.prev-field': {
      const o = s.overlay;
      return o?.kind === 'form' ? only(withForm(m, focusField(o.form, id === 'form.next-field' ? 1 : -1))) : only(m);
    }
    case 'form.submit': {
      const o = s.overlay;
      if (o?.kind === 'scrollback' && o.search) {
        const query = fieldValue(o.search, 'query');
        return only(withScrollback(m, (x, h) => findMatch({ ...x, search: null, mark: null }, query, true, h)));
      }
      return submitForm(m);
    }
    case 'form.left':
    case 'form.right':
    case 'form.home':
    case 'form.end':
    case 'form.word-left':
    case 'form.word-right':
    case 'form.backspace':
    case 'form.delete':
    case 'form.kill-start':
    case 'form.kill-end':
    case 'form.kill-word':
    case 'form.newline': {
      const o = s.overlay;
      return o?.kind === 'form' ? only(withForm(m, editForm(o.form, id.slice('form.'.length) as EditOp))) : only(m);
    }
    case 'confirm.yes': {
      const o = s.overlay;
      if (o?.kind !== 'confirm') return only(m);
      const item = o.task ?? o.item ?? null;
      const answered = withUi(m, (x) => ({ ...x, overlay: null, selected: item !== null ? { ...x.selected, [x.view]: item } : x.selected }));
      return runCommand(answered, o.command, true);
    }
    case 'quit.detach':
      return [m, [{ kind: 'quit', mode: 'detach' }]];
    case 'quit.stop-all':
      return [m, [{ kind: 'quit', mode: 'stop' }]];
    case 'attach.detach':
      return only(m);
    case 'offline.reconnect':
      if (s.overlay?.kind !== 'offline') return [m, m.host.reconnect ? [{ kind: 'reconnect' }] : []];
      return [withUi(m, (x) => ({ ...x, overlay: { kind: 'offline', starting: true, error: null } })), m.host.reconnect ? [{ kind: 'reconnect' }] : []];
    case 'offline.quit':
      return [m, [{ kind: 'quit', mode: 'detach' }]];
  }
  return only(m);
}

function noTask(m: CockpitModel): Step {
  return only(say(m, 'Select a task first (arrows or j/k).', 'error'));
}

function onTask(m: CockpitModel, command: (task: number) => ReturnType<typeof call>): Step {
  const t = selectedTask(m.ui);
  return t ? [m, [command(t.id)]] : noTask(m);
}

/** Opens the reader of an agent's output: what scrolled off its screen, then its terminal log. */
function openScrollback(m: CockpitModel, pagesUp: number): Step {
  const from = m.io.keyAfterDetach;
  const task = from ?? selection(m.ui, 'agents');
  if (typeof task !== 'number') return only(say(m, 'No agent to read: select one first.', 'error'));
  const reading = withUi(m, (s) => ({ ...s, busy: `reading #${task}'s output` }));
  return [reading, [call('term.history', { task, color: true }, { kind: 'history', task, reattach: from !== null, pagesUp })]];
}

export function withForm(m: CockpitModel, form: FormState): CockpitModel {
  return withUi(m, (s) =>
    s.overlay?.kind === 'scrollback' && s.overlay.search ? { ...s, overlay: { ...s.overlay, search: form } } : { ...s, overlay: { kind: 'form', form } },
  );
}

/** The form keys edit: a form dialog, or the scrollback's search prompt. */
export function activeForm(s: CockpitState): FormState | null {
  const o = s.overlay;
  return o?.kind === 'form' ? o.form : o?.kind === 'scrollback' ? o.search : null;
}

function withScrollback(m: CockpitModel, change: (o: ScrollbackOverlay, height: number) => ScrollbackOverlay): CockpitModel {
  return withUi(m, (s) => (s.overlay?.kind === 'scrollback' ? { ...s, overlay: change(s.overlay, readerRows(s.size)) } : s));
}

/**
 * The merge queue is the review tasks in queue order, so a plain "up" only swaps a merge with
 * its neighbour in the whole queue, often a task that is not even in review: in the merges
 * view the task moves to the place of the merge before (after) it instead.
 */
function queueMove(s: CockpitState, task: number, delta: -1 | 1): ParamsOf<'task.move'>['move'] {
  const kind = delta < 0 ? 'up' : 'down';
  if (s.view !== 'merges') return { kind };
  const queue = s.merges?.queue ?? [];
  const at = queue.findIndex((e) => e.task.id === task);
  const position = at < 0 ? null : (queue[at + delta]?.task.position ?? null);
  return position === null ? { kind } : { kind: 'to', position };
}

/** A paste outside a form is said, with the key that opens one. */
export function pasteOutsideForm(m: CockpitModel): CockpitModel {
  const key = boundKey(m.bindings, 'task.new');
  return say(m, `Pasted text goes into a form${key ? `: ${key} opens a new task` : ''}.`, 'notice');
}
