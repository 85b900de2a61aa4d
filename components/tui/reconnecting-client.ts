import type { MusterClient } from '../../src/client/client.js';
import { MusterError } from '../../src/protocol/errors.js';
import type { EventMessage } from '../../src/protocol/messages.js';
import type { MethodName, ParamsOf, ResultOf } from '../../src/protocol/methods.js';
import type { CockpitClient } from '../model/cockpit-store.js';

/** Opens a new connection to the repository's supervisor, starting one first when asked to. */
export type Connector = (autostart: boolean) => Promise<MusterClient>;

const GONE = 'The muster supervisor is not running (muster stop, or it crashed).';

/**
 * The cockpit's link to the supervisor, which outlives any one connection: when the supervisor
 * goes away it says so once (not with the socket's EPIPE on every call), and `reconnect` opens
 * a new connection, starting the supervisor again if asked. Listeners stay registered across
 * connections.
 */
export class ReconnectingClient implements CockpitClient {
  private current: MusterClient | null = null;
  private readonly eventListeners = new Set<(e: EventMessage) => void>();
  private readonly downListeners = new Set<() => void>();
  private readonly upListeners = new Set<() => void>();
  private pending: Promise<boolean> | null = null;
  private closed = false;

  constructor(
    client: MusterClient,
    private readonly open: Connector,
  ) {
    this.adopt(client);
  }

  get connected(): boolean {
    return this.current !== null;
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const client = this.current;
    if (!client) return Promise.reject(new MusterError('failure', GONE));
    return client.call(method, params).catch((e: unknown) => {
      // A call cut off by the connection closing fails with the socket's error (EPIPE, reset).
      throw this.current === client ? e : new MusterError('failure', GONE);
    });
  }

  onEvent(listener: (e: EventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Called each time the connection in use goes away. */
  onDisconnect(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** Called each time a new connection is in use. */
  onReconnect(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /**
   * Connects again unless connected; with `autostart` a supervisor is started when none runs.
   * Resolves whether a connection is in use; throws the reason a start failed (bad config).
   */
  reconnect(autostart: boolean): Promise<boolean> {
    if (this.current || this.closed) return Promise.resolve(this.current !== null);
    this.pending ??= this.open(autostart)
      .then(
        (client) => {
          if (this.closed) {
            client.close();
            return false;
          }
          this.adopt(client);
          for (const l of this.upListeners) l();
          return true;
        },
        (e: unknown) => {
          if (autostart) throw e;
          return false;
        },
      )
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  close(): void {
    this.closed = true;
    this.current?.close();
  }

  private adopt(client: MusterClient): void {
    this.current = client;
    client.onEvent((e) => {
      if (this.current === client) for (const l of this.eventListeners) l(e);
    });
    client.onDisconnect(() => {
      if (this.current !== client) return;
      this.current = null;
      if (!this.closed) for (const l of this.downListeners) l();
    });
  }
}
