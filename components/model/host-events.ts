import type { AttachEnd, CockpitEvent } from './cockpit-event.js';
import { say, withIo, withUi, type CockpitModel } from './cockpit-model.js';
import { flash, initialState, type Flash } from './cockpit-state.js';
import { askRefresh, type Step } from './refresh.js';
import { fitOverlay } from './scrollback.js';

type HostEvent = Extract<
  CockpitEvent,
  { kind: 'start-failed' | 'resized' | 'attach-began' | 'attach-ended' | 'fleet-changed' | 'link-lost' | 'link-back' | 'repo-shown' }
>;

/** What the terminal program around the cockpit reports: its size, a full-screen attach, the fleet's links. */
export function hostEvent(m: CockpitModel, event: HostEvent): Step {
  switch (event.kind) {
    case 'start-failed':
      return [say(m, event.message, 'error'), []];
    case 'resized':
      return [withUi(m, (s) => ({ ...s, size: event.size, overlay: fitOverlay(s.overlay, event.size) })), []];
    case 'attach-began':
      return [withUi(m, (s) => ({ ...s, attached: event.task })), []];
    case 'attach-ended': {
      const said = attachEndText(event.task, event.outcome);
      // Only the key right after a detach may read the agent it came back from.
      const io = event.outcome.kind === 'detached' ? withIo(m, { detachedFrom: event.task }) : m;
      return [withUi(io, (s) => ({ ...s, attached: null, size: event.size, flash: said ? { ...said, at: m.io.now } : s.flash })), []];
    }
    case 'fleet-changed':
      return [withUi(m, (s) => ({ ...s, fleet: event.fleet })), []];
    case 'link-lost':
      return [withUi(m, (s) => flash({ ...s, connected: false }, event.message, 'error', m.io.now)), []];
    case 'link-back':
      return askRefresh(say(m, `Connection to ${event.name} is back.`, 'notice'));
    case 'repo-shown': {
      // Nothing of the previous repository may stay on screen: its tasks, selections, dialogs;
      // and a reload of it still in flight must not hold up the new one's.
      const shown = withUi(m, (s) =>
        flash({ ...initialState(s.size), view: s.view, fleet: event.fleet }, event.lost ?? `Showing ${event.name}.`, event.lost ? 'error' : 'info', m.io.now),
      );
      return [withIo(shown, { generation: m.io.generation + 1, refresh: 'idle' }), []];
    }
  }
}

function attachEndText(task: number, outcome: AttachEnd): { text: string; tone: Flash['tone'] } | null {
  switch (outcome.kind) {
    case 'ended':
      return {
        text: `#${task}'s agent exited (${outcome.signal ? `signal ${outcome.signal}` : `code ${outcome.exitCode}`}); its last screen stays in the agents view.`,
        tone: 'notice',
      };
    case 'failed':
      return { text: outcome.message, tone: 'error' };
    default:
      return null;
  }
}
