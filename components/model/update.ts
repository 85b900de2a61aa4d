import { composeKey, resolveKey, splitKey, type InputEvent } from '../../src/keymap/index.js';
import type { TopicEvent, TopicName } from '../../src/protocol/topics.js';
import { call } from './cockpit-command.js';
import type { CockpitEvent } from './cockpit-event.js';
import { keyContext, say, withIo, withUi, type CockpitModel } from './cockpit-model.js';
import { flash, upsertTask } from './cockpit-state.js';
import { nextStepKeys } from './detail-lines.js';
import { typeText, pasteText } from './forms.js';
import { hostEvent } from './host-events.js';
import { withMergeStep } from './messages.js';
import { answered, refused } from './replies.js';
import { askRefresh, type Step } from './refresh.js';
import { activeForm, pasteOutsideForm, runCommand, withForm } from './run-command.js';

/** How long the outcome of an action stays in the status line. */
export const FLASH_MS = 10_000;
/** Events come in bursts (a merge touches many tasks): one reload after the burst. */
export const REFRESH_AFTER_EVENTS_MS = 150;

/** Every topic a view shows: a view follows the supervisor, never only the last key pressed. */
export const COCKPIT_TOPICS: readonly TopicName[] = ['task', 'queue', 'conflicts', 'context', 'notify', 'rows', 'config', 'locks', 'merges'];

/**
 * The cockpit's one update: an event and the model in, the next model and the commands to run
 * out. No I/O: the controller runs the commands and feeds their results back as events.
 */
export function update(m: CockpitModel, event: CockpitEvent): Step {
  switch (event.kind) {
    case 'started':
      return [m, [call('subscribe', { topics: [...COCKPIT_TOPICS] }, { kind: 'subscribed', reconnected: false })]];
    case 'input':
      return input(m, event.input);
    case 'published':
      return published(m, event.event);
    case 'disconnected':
      return [
        withUi(m, (s) =>
          m.host.reconnect
            ? { ...s, connected: false, busy: null, flash: null, overlay: { kind: 'offline', starting: false, error: null } }
            : flash({ ...s, connected: false }, 'The supervisor went away; reconnecting…', 'error', m.io.now),
        ),
        [],
      ];
    case 'reconnected':
      return [
        withUi(m, (s) => (s.overlay?.kind === 'offline' ? { ...s, overlay: null } : s)),
        [call('subscribe', { topics: [...COCKPIT_TOPICS] }, { kind: 'subscribed', reconnected: true })],
      ];
    case 'reconnect-failed':
      // The reason stays on screen (a bad config, say) until the next try.
      return [withUi(m, (s) => (s.overlay?.kind === 'offline' ? { ...s, overlay: { kind: 'offline', starting: false, error: event.message } } : s)), []];
    case 'refresh-asked':
      return askRefresh(m);
    case 'repo-switched':
      // A reload of the previous repository in flight must not hold up the new one's.
      return [withIo(m, { generation: m.io.generation + 1, refresh: 'idle' }), []];
    case 'detached':
      return [withIo(m, { detachedFrom: event.task }), []];
    case 'answered':
      return answered(m, event.then, event.result);
    case 'refused':
      return refused(m, event.then, event.error);
    case 'flash-shown':
      return [m, [{ kind: 'timer', timer: { name: 'flash', at: event.at }, ms: FLASH_MS }]];
    case 'timer-fired': {
      const t = event.timer;
      if (t.name === 'refresh') return askRefresh(withIo(m, { refreshDue: false }));
      return [withUi(m, (s) => (s.flash?.at === t.at ? { ...s, flash: null } : s)), []];
    }
    case 'start-failed':
    case 'resized':
    case 'attach-began':
    case 'attach-ended':
    case 'fleet-changed':
    case 'link-lost':
    case 'link-back':
    case 'repo-shown':
      return hostEvent(m, event);
  }
}

/** One key or paste from the terminal, in the order they came. */
function input(m: CockpitModel, event: InputEvent): Step {
  if (event.kind === 'paste') {
    const form = activeForm(m.ui);
    return [form ? withForm(m, pasteText(form, event.text)) : pasteOutsideForm(m), []];
  }
  // Only the key right after a detach may read the agent it came back from.
  const next = withIo(m, { keyAfterDetach: m.io.detachedFrom, detachedFrom: null });
  const { key, text } = event;
  const id = key ? resolveKey(next.bindings, keyContext(next.ui), key) : null;
  if (id) return runCommand(next, id);
  // Esc and the next key in one read look like alt+key: unbound, they are esc, then the key.
  const parts = key ? splitKey(key) : null;
  const plain = parts?.meta ? composeKey({ ...parts, meta: false }) : null;
  if (plain?.ok) {
    const [afterEsc, first] = input(next, { kind: 'key', key: 'esc', text: '' });
    const [after, second] = input(afterEsc, { kind: 'key', key: plain.key, text });
    return [after, [...first, ...second]];
  }
  const form = activeForm(next.ui);
  if (form && text && !/[\x00-\x1f\x7f]/.test(text)) return [withForm(next, typeText(form, text)), []];
  return [next, []];
}

/** What the supervisor published: shown at once where the event says enough, else read again soon. */
function published(m: CockpitModel, e: TopicEvent): Step {
  switch (e.topic) {
    case 'rows':
      return [m, [{ kind: 'rows', frame: e.data }]];
    case 'task':
      return refreshSoon(withUi(m, (s) => withMergeStep(upsertTask(s, e.data), e.data.id, e.data.reason)));
    case 'conflicts':
      return [withUi(m, (s) => ({ ...s, conflicts: e.data })), []];
    case 'notify': {
      // The supervisor says why; the next step is worded here, in this cockpit's keys.
      const step = nextStepKeys(e.data.reason, m.bindings, keyContext(m.ui));
      const said = say(m, `${e.data.message}${step ? `; ${step}` : ''}`, e.data.kind === 'failed' || e.data.kind === 'blocker' ? 'error' : 'notice');
      const [next, commands] = refreshSoon(said);
      return [next, [{ kind: 'bell' }, ...commands]];
    }
    default:
      return refreshSoon(m);
  }
}

function refreshSoon(m: CockpitModel): Step {
  if (m.io.refreshDue) return [m, []];
  return [withIo(m, { refreshDue: true }), [{ kind: 'timer', timer: { name: 'refresh' }, ms: REFRESH_AFTER_EVENTS_MS }]];
}
