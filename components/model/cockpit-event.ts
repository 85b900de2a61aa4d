import type { InputEvent } from '../../src/keymap/index.js';
import type { TopicEvent } from '../../src/protocol/topics.js';
import type { FleetView } from '../fleet-header.js';
import type { Then, Timer } from './cockpit-command.js';

/**
 * What happens to the cockpit, as `update` hears it: keys and pastes, the supervisor's events
 * and answers, timers firing, and what the terminal program around it reports.
 */
export type CockpitEvent =
  /** The cockpit is on screen: follow the supervisor. */
  | { kind: 'started' }
  | { kind: 'input'; input: InputEvent }
  /** The supervisor published something on a topic the cockpit follows. */
  | { kind: 'published'; event: TopicEvent }
  | { kind: 'disconnected' }
  /** A new connection to the supervisor is in use. */
  | { kind: 'reconnected' }
  /** Starting the supervisor again failed, for this reason. */
  | { kind: 'reconnect-failed'; message: string }
  /** Something outside asks for everything on screen to be read again (a link came back). */
  | { kind: 'refresh-asked' }
  /** The cockpit shows another repository: reads still on their way are not its. */
  | { kind: 'repo-switched' }
  /** Back from a full-screen attach by the detach key. */
  | { kind: 'detached'; task: number }
  /** A call was answered; `then` says what it was for. */
  | { kind: 'answered'; then: Then; result: unknown }
  /** A call was refused or cut off, with the reason. */
  | { kind: 'refused'; then: Then; error: string }
  /** A message appeared in the status line (at this time). */
  | { kind: 'flash-shown'; at: number }
  | { kind: 'timer-fired'; timer: Timer }
  /** Starting the cockpit failed (the first subscribe), for this reason. */
  | { kind: 'start-failed'; message: string }
  /** The terminal changed size (the last of a burst of resizes). */
  | { kind: 'resized'; size: { cols: number; rows: number } }
  /** A task's terminal took the whole screen. */
  | { kind: 'attach-began'; task: number }
  /** Back from the full-screen terminal, at the terminal's size now; how it ended. */
  | { kind: 'attach-ended'; task: number; size: { cols: number; rows: number }; outcome: AttachEnd }
  /** Several repositories: the header's counts changed. */
  | { kind: 'fleet-changed'; fleet: FleetView }
  /** The link to the repository on screen was lost (it retries), for this reason. */
  | { kind: 'link-lost'; message: string }
  /** The link to the repository on screen, named, is back: everything is read again. */
  | { kind: 'link-back'; name: string }
  /** Another repository of the fleet is on screen; `lost`: why its link is down, else null. */
  | { kind: 'repo-shown'; fleet: FleetView; name: string; lost: string | null };

/** How a full-screen attach ended, as the cockpit words it. */
export type AttachEnd =
  | { kind: 'detached' }
  | { kind: 'ended'; exitCode: number | null; signal: number | null }
  | { kind: 'failed'; message: string }
  /** Nothing to say: the link went away under it (its own event says so), or there was nothing to show. */
  | { kind: 'unsaid' };
