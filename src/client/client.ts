import { connect as netConnect, type Socket } from 'node:net';
import { MusterError } from '../protocol/errors.js';
import { eventSchema, replySchema, type EventMessage } from '../protocol/messages.js';
import { METHODS, type Caller, type MethodName, type ParamsOf, type ResultOf } from '../protocol/methods.js';
import { encode, LineSplitter } from '../protocol/ndjson.js';

type Pending = { method: MethodName; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/** A connection to the supervisor: typed requests, and events after `subscribe`. */
export class MusterClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: EventMessage) => void>();
  private closedError: Error | null = null;
  private readonly closeListeners = new Set<() => void>();

  private constructor(
    private readonly socket: Socket,
    private readonly caller: Caller,
  ) {
    socket.setEncoding('utf8');
    const splitter = new LineSplitter((line) => this.onLine(line));
    socket.on('data', (chunk: string) => splitter.push(chunk));
    socket.on('close', () => this.onClose(new MusterError('failure', 'The muster supervisor closed the connection.')));
    socket.on('error', (e) => this.onClose(e));
  }

  /** Connects to a socket that is known to be listening. */
  static open(socketPath: string, caller: Caller): Promise<MusterClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(socketPath);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new MusterClient(socket, caller));
      });
      socket.once('error', reject);
    });
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const checked = METHODS[method].params.safeParse(params);
    if (!checked.success) return Promise.reject(new MusterError('bad-input', `Bad parameters for ${method}: ${checked.error.issues[0]?.message}`));
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(encode({ t: 'req', id, method, params: checked.data, caller: this.caller }));
    });
  }

  onEvent(listener: (e: EventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onDisconnect(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.socket.end();
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const reply = replySchema.safeParse(raw);
    if (reply.success) {
      const p = this.pending.get(reply.data.id);
      if (!p) return;
      this.pending.delete(reply.data.id);
      if (!reply.data.ok) {
        p.reject(new MusterError(reply.data.error.code, reply.data.error.message, reply.data.error.data));
        return;
      }
      const result = METHODS[p.method].result.safeParse(reply.data.result);
      if (result.success) p.resolve(result.data);
      else p.reject(new MusterError('failure', `The supervisor answered ${p.method} with an unexpected shape: ${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`));
      return;
    }
    const event = eventSchema.safeParse(raw);
    if (event.success) for (const l of this.listeners) l(event.data);
  }

  private onClose(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const l of this.closeListeners) l();
  }
}
