import type { InputEvent } from '../../src/keymap/index.js';
import type { TopicEvent } from '../../src/protocol/topics.js';
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
  | { kind: 'timer-fired'; timer: Timer };
