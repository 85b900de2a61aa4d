import type { LockView, RowFrameView } from '../../src/protocol/shapes.js';
import type { MethodName, ParamsOf } from '../../src/protocol/methods.js';
import type { FormState } from './cockpit-state.js';

/** One supervisor call, as data: the method and its params. */
export type Call = { [M in MethodName]: { method: M; params: ParamsOf<M> } }[MethodName];

/**
 * What an answer is for: the controller hands it back with the result (`answered`) or the
 * reason (`refused`), and `update` carries on from there. It holds what the next step needs
 * to know about the moment the call was made.
 */
export type Then =
  /** Following the supervisor's topics; `reconnected`: on a new connection, which is then said. */
  | { kind: 'subscribed'; reconnected: boolean }
  /** The reload's status; `generation` tells whether it is still this repository's. */
  | { kind: 'status'; generation: number }
  /** A view's data; `n` is the load it answers, `refresh` whether a reload waits for it. */
  | { kind: 'view'; view: 'merges' | 'context'; n: number; generation: number; refresh: boolean }
  | { kind: 'detail'; task: number; n: number; generation: number; refresh: boolean }
  | { kind: 'dispatch-toggled'; paused: boolean }
  | { kind: 'moved'; task: number; dir: 'up' | 'down'; merges: boolean; before: number | null }
  | { kind: 'retried'; task: number }
  | { kind: 'done'; task: number }
  | { kind: 'cancelled'; task: number }
  | { kind: 'diff'; task: number }
  | { kind: 'approved'; task: number }
  | { kind: 'skipped'; task: number }
  | { kind: 'undone' }
  | { kind: 'acked'; before: number }
  | { kind: 'dismissed'; task: number }
  | { kind: 'history'; task: number; reattach: boolean; pagesUp: number }
  /** A form's call; a refusal reopens the form with the reason, so nothing typed is lost. */
  | { kind: 'submitted'; form: FormState }
  /** The answer to a blocker was recorded; the blocker is acknowledged next. */
  | { kind: 'answer-recorded'; form: FormState; section: string }
  | { kind: 'released'; lock: LockView }
  | { kind: 'stolen'; lock: LockView };

/** A timer `update` waits for: a message going out of the status line, or the reload after a burst of events. */
export type Timer = { name: 'flash'; at: number } | { name: 'refresh' };

/** What `update` asks the world to do; the controller runs these and feeds results back as events. */
export type Command =
  | { kind: 'call'; call: Call; then: Then }
  /** Fires after `ms` (a `timer-fired` event), replacing a timer of the same name. */
  | { kind: 'timer'; timer: Timer; ms: number }
  | { kind: 'bell' }
  /** Pane rows for the agents grid, drawn outside React. */
  | { kind: 'rows'; frame: RowFrameView }
  | { kind: 'quit'; mode: 'detach' | 'stop' }
  | { kind: 'attach'; task: number }
  /** Start the supervisor again and connect to it. */
  | { kind: 'reconnect' }
  | { kind: 'switch-repo'; delta: 1 | -1 };

/** A call whose params are checked against its method. */
export function call<M extends MethodName>(method: M, params: ParamsOf<M>, then: Then): Command {
  return { kind: 'call', call: { method, params } as Call, then };
}
