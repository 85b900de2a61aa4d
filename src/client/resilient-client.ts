import type { TopicName } from '../protocol/topics.js';
import { MusterError } from '../protocol/errors.js';
import type { EventMessage } from '../protocol/messages.js';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js';
import type { MusterClient } from './client.js';

/** How a link to one supervisor stands. */
export type LinkState = { kind: 'up' } | { kind: 'lost'; message: string; attempt: number; retryInMs: number } | { kind: 'closed' };

/** Waits between reconnect attempts: quick at first, then every 10 s. */
export const RECONNECT_BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000, 10_000];

/** The client interface the cockpit and a fleet use, whatever is underneath. */
export interface LinkClient {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  onEvent(listener: (e: EventMessage) => void): () => void;
  /** Every time the link goes down (a resilient link may come back: see `onState`). */
  onDisconnect(listener: () => void): () => void;
  close(): void;
}

/** A link that says how it stands: what a fleet needs of each repository's client. */
export interface Link extends LinkClient {
  readonly state: LinkState;
  onState(listener: (s: LinkState) => void): () => void;
}

/**
 * A client that outlives its connection: when the link to the supervisor drops (an ssh
 * connection lost, a laptop asleep) it says so and connects again with backoff, forever, until
 * closed. Subscriptions are made again on the new connection; everything else that lived on
 * the old one (pane watches, an attach) is the owner's to redo when the state is `up` again.
 * Calls made while the link is down fail at once with a message that says it is retrying.
 */
export class ResilientClient implements Link {
  private client: MusterClient | null = null;
  private readonly topics = new Set<TopicName>();
  private readonly eventListeners = new Set<(e: EventMessage) => void>();
  private readonly disconnectListeners = new Set<() => void>();
  private readonly stateListeners = new Set<(s: LinkState) => void>();
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;
  state: LinkState = { kind: 'up' };

  private constructor(
    /** Opens a fresh connection; `again` is true for a reconnect (no prompts, no autostart). */
    private readonly open: (again: boolean) => Promise<MusterClient>,
    /** Named in messages: `connection to <label> lost`. */
    readonly label: string,
    private readonly backoff: readonly number[],
  ) {}

  /** Connects once (an error here is the caller's, as for a plain client), then keeps the link up. */
  static async connect(open: (again: boolean) => Promise<MusterClient>, label: string, backoff = RECONNECT_BACKOFF_MS): Promise<ResilientClient> {
    const r = new ResilientClient(open, label, backoff);
    r.use(await open(false));
    return r;
  }

  /**
   * Like `connect`, but a repository that cannot be reached now is no error: the link starts
   * `lost` with the reason, and keeps trying (a fleet opens with one host down).
   */
  static async start(open: (again: boolean) => Promise<MusterClient>, label: string, backoff = RECONNECT_BACKOFF_MS): Promise<ResilientClient> {
    const r = new ResilientClient(open, label, backoff);
    try {
      r.use(await open(false));
    } catch (e) {
      r.retryLater(`Cannot reach ${label}`, e);
    }
    return r;
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (method === 'subscribe') for (const t of (params as ParamsOf<'subscribe'>).topics) this.topics.add(t);
    if (method === 'unsubscribe') for (const t of (params as ParamsOf<'unsubscribe'>).topics) this.topics.delete(t);
    if (!this.client) return Promise.reject(new MusterError('failure', this.lostMessage()));
    return this.client.call(method, params);
  }

  onEvent(listener: (e: EventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  onState(listener: (s: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    c?.close();
    this.setState({ kind: 'closed' });
  }

  private lostMessage(): string {
    return this.state.kind === 'lost' ? this.state.message : `The connection to ${this.label} is lost; retrying…`;
  }

  private use(client: MusterClient): void {
    this.client = client;
    client.onEvent((e) => {
      if (this.client === client) for (const l of this.eventListeners) l(e);
    });
    client.onDisconnect(() => {
      if (this.client !== client || this.closed) return;
      this.client = null;
      this.attempt = 0;
      for (const l of this.disconnectListeners) l();
      this.retryLater(`Connection to ${this.label} lost`, null);
    });
  }

  /** `why; retrying in 2 s… (the reason)`: what the operator needs first, then the detail. */
  private retryLater(why: string, error: unknown): void {
    if (this.closed) return;
    const wait = this.backoff[Math.min(this.attempt, this.backoff.length - 1)] ?? 10_000;
    this.attempt++;
    const reason = error instanceof Error ? ` (${error.message.replace(/\.$/, '')})` : error ? ` (${String(error)})` : '';
    this.setState({
      kind: 'lost',
      message: `${why}; retrying${wait >= 1000 ? ` in ${Math.round(wait / 1000)} s` : ''}…${reason}`,
      attempt: this.attempt,
      retryInMs: wait,
    });
    this.timer = setTimeout(() => void this.reconnect(), wait);
    this.timer.unref?.();
  }

  private async reconnect(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    let client: MusterClient | null = null;
    try {
      client = await this.open(true);
      if (this.topics.size) await client.call('subscribe', { topics: [...this.topics] });
    } catch (e) {
      client?.close();
      this.retryLater(`Connection to ${this.label} lost`, e);
      return;
    }
    if (this.closed) {
      client.close();
      return;
    }
    this.use(client);
    this.attempt = 0;
    this.setState({ kind: 'up' });
  }

  private setState(s: LinkState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}
