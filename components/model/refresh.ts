import type { ResultOf } from '../../src/protocol/methods.js';
import { call, type Command, type Then } from './cockpit-command.js';
import { fail, say, withIo, withUi, type CockpitModel } from './cockpit-model.js';
import { withStatus, type ViewName } from './cockpit-state.js';

/** A model and what to do next: the shape of every step of `update`. */
export type Step = [CockpitModel, Command[]];

/**
 * Reloads status, the data of the view on screen and an open task detail, in that order. One
 * reload at a time; asked for during one, another follows it, so the last change is always shown.
 */
export function askRefresh(m: CockpitModel): Step {
  if (m.io.refresh !== 'idle') return [withIo(m, { refresh: 'again' }), []];
  return [withIo(m, { refresh: 'running' }), [call('status', {}, { kind: 'status', generation: m.io.generation })]];
}

export function statusAnswered(m: CockpitModel, then: Extract<Then, { kind: 'status' }>, status: ResultOf<'status'>): Step {
  if (then.generation !== m.io.generation) return [m, []];
  let next = withUi(m, (s) => withStatus(s, status));
  if (m.io.greet) next = say(withIo(next, { greet: false }), `Reconnected to the supervisor (pid ${status.daemon.pid}).`, 'notice');
  return loadView(next, next.ui.view, true);
}

/** Reads what a view shows beyond the status (the merge queue, the shared context). */
export function loadView(m: CockpitModel, view: ViewName, refresh: boolean): Step {
  if (view !== 'merges' && view !== 'context') return refresh ? afterView(m) : [m, []];
  const n = m.io.loads[view] + 1;
  const then: Then = { kind: 'view', view, n, generation: m.io.generation, refresh };
  return [withIo(m, { loads: { ...m.io.loads, [view]: n } }), [view === 'merges' ? call('merge.list', {}, then) : call('context.show', {}, then)]];
}

export function viewAnswered(m: CockpitModel, then: Extract<Then, { kind: 'view' }>, result: unknown): Step {
  if (then.generation !== m.io.generation) return [m, []];
  let next = m;
  if (then.n === m.io.loads[then.view]) {
    if (then.view === 'merges') {
      const merges = result as ResultOf<'merge.list'>;
      next = withUi(m, (s) => ({ ...s, merges }));
    } else {
      const c = result as ResultOf<'context.show'>;
      next = withUi(m, (s) => ({ ...s, context: { text: c.text, blockers: c.blockers, unread: c.unread } }));
    }
  }
  return then.refresh ? afterView(next) : [next, []];
}

function afterView(m: CockpitModel): Step {
  return m.ui.overlay?.kind === 'detail' ? loadDetail(m, true) : finishRefresh(m);
}

/** Loads the task the detail overlay shows; a later load wins over an earlier one. */
export function loadDetail(m: CockpitModel, refresh: boolean): Step {
  const o = m.ui.overlay;
  if (o?.kind !== 'detail') return refresh ? finishRefresh(m) : [m, []];
  const task = o.tasks[o.index]!;
  const n = m.io.loads.detail + 1;
  return [
    withIo(m, { loads: { ...m.io.loads, detail: n } }),
    [call('task.detail', { id: task }, { kind: 'detail', task, n, generation: m.io.generation, refresh })],
  ];
}

/** The detail arrived (or was refused: the overlay says why), if the overlay still shows that task. */
export function detailAnswered(
  m: CockpitModel,
  then: Extract<Then, { kind: 'detail' }>,
  answer: { detail: ResultOf<'task.detail'> } | { error: string },
): Step {
  if (then.generation !== m.io.generation) return [m, []];
  const next = withUi(m, (s) => {
    const o = s.overlay;
    if (then.n !== m.io.loads.detail || o?.kind !== 'detail' || o.tasks[o.index] !== then.task) return s;
    return { ...s, overlay: 'detail' in answer ? { ...o, detail: answer.detail, error: null } : { ...o, error: answer.error } };
  });
  return then.refresh ? finishRefresh(next) : [next, []];
}

/** A read of the reload failed: said, and the reload ends (or starts over if asked meanwhile). */
export function refreshFailed(m: CockpitModel, generation: number, error: string): Step {
  if (generation !== m.io.generation) return [m, []];
  return finishRefresh(fail(m, error));
}

function finishRefresh(m: CockpitModel): Step {
  if (m.io.refresh !== 'again') return [withIo(m, { refresh: 'idle' }), []];
  return [withIo(m, { refresh: 'running' }), [call('status', {}, { kind: 'status', generation: m.io.generation })]];
}

/** Runs `next` after `first`, the commands of both in order. */
export function andThen(first: Step, next: (m: CockpitModel) => Step): Step {
  const [m, a] = first;
  const [n, b] = next(m);
  return [n, [...a, ...b]];
}
