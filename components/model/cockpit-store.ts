import type { EventMessage } from '../../src/protocol/messages.js';
import type { MethodName, ParamsOf, ResultOf } from '../../src/protocol/methods.js';
import type { CockpitState } from './cockpit-state.js';

/** The part of the socket client the cockpit uses; tests give it a fake. */
export interface CockpitClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  onEvent(listener: (e: EventMessage) => void): () => void;
  onDisconnect(listener: () => void): () => void;
}

/** The cockpit's state outside React: Ink components read it, the controller writes it. */
export class CockpitStore {
  private readonly listeners = new Set<() => void>();

  constructor(private state: CockpitState) {}

  getState = (): CockpitState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  update(fn: (s: CockpitState) => CockpitState): void {
    const next = fn(this.state);
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l();
  }
}
