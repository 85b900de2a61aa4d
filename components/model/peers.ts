import type { LockView, TaskView } from '../../src/protocol/shapes.js';
import { boundKey } from '../key-words.js';
import { call } from './cockpit-command.js';
import { say, withUi, type CockpitModel } from './cockpit-model.js';
import { lockKey, paneTasks, selectedConflict, selectedTask, selection, type CockpitState, type FormState } from './cockpit-state.js';
import type { Step } from './refresh.js';

/*
 * What other agent supervisors let an operator do without leaving the view: jump to the next
 * agent that waits for input, answer it with one line, release or steal a lock, answer a
 * blocker, open a conflict's tasks.
 */

/** Who holds a lock, as the locks view says it. */
export function holderName(o: LockView['owner']): string {
  return 'task' in o ? `#${o.task}` : o.pid === 0 ? 'the operator (a spec import)' : `operator pid ${o.pid}`;
}

/** The key of a command as a message names it; the command id when it has none. */
function key(m: CockpitModel, id: Parameters<typeof boundKey>[1]): string {
  return boundKey(m.bindings, id) ?? id;
}

/** The tasks a detail view opens on: the selected task, or the selected conflict's tasks. */
export function detailTargets(s: CockpitState): number[] {
  if (s.view === 'conflicts') return [...(selectedConflict(s)?.tasks ?? [])];
  const t = selectedTask(s);
  return t ? [t.id] : [];
}

/** The agents view, on the next agent after the selected one that waits for input. */
export function nextWaiting(m: CockpitModel): CockpitModel {
  const panes = paneTasks(m.ui);
  const waiting = panes.filter((t) => t.activity === 'waiting-input');
  if (!waiting.length) return say(m, 'No agent is waiting for input.');
  const current = selection(m.ui, 'agents');
  const from = panes.findIndex((t) => t.id === current);
  const next = [...panes.slice(from + 1), ...panes.slice(0, from + 1)].find((t) => t.activity === 'waiting-input')!;
  const moved = withUi(m, (x) => ({ ...x, view: 'agents', overlay: null, selected: { ...x.selected, agents: next.id } }));
  const more = waiting.length > 1 ? ` (${waiting.length} wait; ${key(m, 'agent.next-waiting')} goes on to the next)` : '';
  return say(moved, `#${next.id} ${next.title} is waiting for input: ${key(m, 'agent.reply')} replies, ${key(m, 'agent.attach')} attaches${more}.`, 'notice');
}

export function openReply(m: CockpitModel): CockpitModel {
  const t = selectedTask(m.ui);
  if (!t) return say(m, 'Select an agent first (arrows or j/k).', 'error');
  if (!isLive(t)) return say(m, `#${t.id} has no agent running to reply to (${t.state}).`, 'error');
  return openForm(m, {
    kind: 'reply',
    title: `Reply to #${t.id} ${t.title} (${t.agent}, ${t.activity})`,
    task: t.id,
    focus: 0,
    error: null,
    fields: [{ name: 'reply', label: 'Reply', value: '', hint: 'one line, typed into its terminal followed by return' }],
  });
}

export function openAnswer(m: CockpitModel): CockpitModel {
  const k = selection(m.ui, 'context');
  const blocker = m.ui.context?.blockers.find((b) => b.key === k);
  if (!blocker) return say(m, 'No blocker to answer: the Blockers section is empty.', 'error');
  return openForm(m, {
    kind: 'answer',
    title: `Answer ${blocker.author ? `${blocker.author}'s` : 'the'} blocker: ${blocker.text}`,
    task: null,
    ref: blocker.key,
    focus: 0,
    error: null,
    fields: [{ name: 'answer', label: 'Answer', value: '', hint: 'goes under Decisions in the shared context; the blocker is acknowledged' }],
  });
}

function openForm(m: CockpitModel, form: FormState): CockpitModel {
  return withUi(m, (s) => ({ ...s, overlay: { kind: 'form', form } }));
}

export function selectedLock(s: CockpitState): LockView | null {
  const k = selection(s, 'locks');
  return s.locks.find((l) => lockKey(l) === k) ?? null;
}

export function releaseLock(m: CockpitModel): Step {
  const l = selectedLock(m.ui);
  if (!l) return [say(m, 'No lock is selected.', 'error'), []];
  // The supervisor releases an operator lock only for the process that holds it.
  const params = 'task' in l.owner ? { resources: [l.resource], task: l.owner.task } : { resources: [l.resource] };
  return [m, [call('lock.release', params, { kind: 'released', lock: l })]];
}

export function lockReleased(m: CockpitModel, l: LockView, released: number): CockpitModel {
  if (!('task' in l.owner)) {
    if (!released)
      return say(
        m,
        `${l.resource} is held by ${holderName(l.owner)}, not this cockpit's shell: ${key(m, 'lock.steal')} steals it, or it goes when that process exits.`,
        'error',
      );
    return say(m, `Released ${l.resource} (${l.mode}).`);
  }
  if (!released) return say(m, `${l.resource} was no longer held by #${l.owner.task}.`, 'error');
  return say(
    m,
    `Released ${l.resource} (${l.mode}) of #${l.owner.task}${l.declared ? '; it was declared, so #' + l.owner.task + ' no longer has it to itself' : ''}.`,
    'notice',
  );
}

export function stealLock(m: CockpitModel): Step {
  const l = selectedLock(m.ui);
  if (!l) return [say(m, 'No lock is selected.', 'error'), []];
  return [m, [call('lock.acquire', { resources: [l.resource], mode: 'write', steal: true }, { kind: 'stolen', lock: l })]];
}

export function lockStolen(m: CockpitModel, l: LockView, granted: boolean): CockpitModel {
  if (!granted) return say(m, `Could not steal ${l.resource}.`, 'error');
  return say(m, `Stole ${l.resource} from ${holderName(l.owner)}: the operator holds it now; ${key(m, 'lock.release')} releases it.`, 'notice');
}

function isLive(t: TaskView): boolean {
  const s = t.sessions.at(-1);
  return ['running', 'review'].includes(t.state) && !!s && s.pid !== null && s.endedAt === null;
}
