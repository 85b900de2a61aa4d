import type { KeyBinding, KeyContext } from '../../src/keymap/index.js';
import { flash, type CockpitState, type Flash } from './cockpit-state.js';

/**
 * What the cockpit keeps besides what it shows: the reads on their way and which answer still
 * counts. `update` owns it; nothing draws it.
 */
export interface InFlight {
  /** The time of the event being handled (flashes are stamped with it); the controller sets it. */
  now: number;
  /** Bumped when the cockpit shows another repository: answers for the previous one are dropped. */
  generation: number;
  /** One reload at a time; asked for during one, another follows it (`again`). */
  refresh: 'idle' | 'running' | 'again';
  /** A reload after a burst of events is scheduled. */
  refreshDue: boolean;
  /** Each load counts; an answer to an older one than the last asked is dropped, never shown. */
  loads: { merges: number; context: number; detail: number };
  /** A form was sent and its answer is awaited: a second enter would add the task twice. */
  submitting: boolean;
  /** The agent the cockpit came back from by the detach key, until the next key. */
  detachedFrom: number | null;
  /** The agent the last key came right after detaching from (the scrollback attaches it again). */
  keyAfterDetach: number | null;
  /** The next status comes from a new connection: say so, with the supervisor's pid. */
  greet: boolean;
}

/** The terminal program around the cockpit can do these, or not. */
export interface HostAbilities {
  reconnect: boolean;
  switchRepo: boolean;
}

/** Everything `update` reads and returns: what is shown, what is in flight, and the key map. */
export interface CockpitModel {
  ui: CockpitState;
  io: InFlight;
  bindings: readonly KeyBinding[];
  host: HostAbilities;
}

export function initialInFlight(now = 0): InFlight {
  return {
    now,
    generation: 0,
    refresh: 'idle',
    refreshDue: false,
    loads: { merges: 0, context: 0, detail: 0 },
    submitting: false,
    detachedFrom: null,
    keyAfterDetach: null,
    greet: false,
  };
}

/** The keyboard context: the dialog on top, else the view. */
export function keyContext(s: CockpitState): KeyContext {
  const o = s.overlay;
  if (o?.kind === 'scrollback' && o.search) return 'form';
  return o ? (o.kind as KeyContext) : s.view;
}

export function withUi(m: CockpitModel, change: (s: CockpitState) => CockpitState): CockpitModel {
  const ui = change(m.ui);
  return ui === m.ui ? m : { ...m, ui };
}

export function withIo(m: CockpitModel, io: Partial<InFlight>): CockpitModel {
  return { ...m, io: { ...m.io, ...io } };
}

/** The outcome of an action in the status line, stamped with the event's time. */
export function say(m: CockpitModel, text: string, tone: Flash['tone'] = 'info'): CockpitModel {
  return withUi(m, (s) => flash(s, text, tone, m.io.now));
}

/** A refusal or a failed call in the status line; calls cut off by a lost supervisor say nothing (the offline dialog does). */
export function fail(m: CockpitModel, message: string): CockpitModel {
  if (m.ui.overlay?.kind === 'offline') return m;
  return withUi(m, (s) => flash({ ...s, busy: null }, message, 'error', m.io.now));
}

export function closeOverlay(m: CockpitModel): CockpitModel {
  return withUi(m, (s) => (s.overlay === null ? s : { ...s, overlay: null }));
}
