import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { MusterError } from '../protocol/errors.js';
import { eventSchema, replySchema, type EventMessage } from '../protocol/messages.js';
import { METHODS, READ_ONLY_METHODS, type Caller, type MethodName, type ParamsOf, type ResultOf } from '../protocol/methods.js';
import { encode, LineSplitter } from '../protocol/ndjson.js';

type Pending = { method: MethodName; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * The supervisor went away with requests unanswered (killed, crashed, stopped), or the link
 * to it did (`link`: an ssh connection to a repository on another machine). Says which, and
 * whether the request can have changed anything, instead of a raw ECONNRESET or EPIPE.
 */
export class SupervisorGoneError extends MusterError {
  constructor(
    readonly method: MethodName,
    readonly sent: boolean,
    cause: string,
    readonly link: string | null = null,
  ) {
    super('failure', link ? linkLost(method, sent, cause, link) : supervisorGone(method, sent, cause));
    this.name = 'SupervisorGoneError';
  }
}

function supervisorGone(method: MethodName, sent: boolean, cause: string): string {
  const how = cause ? ` (${cause})` : '';
  const again = 'Run the command again: it starts a supervisor when none is running.';
  if (!sent) return `The muster supervisor is gone${how}; ${method} was not sent, so nothing was changed. ${again}`;
  return READ_ONLY_METHODS.has(method)
    ? `The muster supervisor went away${how} before it answered ${method}: it only reads, so nothing was changed. ${again}`
    : `The muster supervisor went away${how} before it answered ${method}: the change may or may not have been applied; check with "muster status" before you run it again.`;
}

function linkLost(method: MethodName, sent: boolean, cause: string, link: string): string {
  const lost = `The connection to ${link} was lost`;
  const why = cause ? ` What ssh said: ${cause}` : '';
  if (!sent) return `${lost}; ${method} was not sent, so nothing was changed. Run the command again once ${link} can be reached.${why}`;
  return READ_ONLY_METHODS.has(method)
    ? `${lost} before ${method} was answered: it only reads, so nothing was changed. Run the command again once ${link} can be reached.${why}`
    : `${lost} before ${method} was answered: the change may or may not have been applied on ${link}; check with "muster --host ${link} status" before you run it again.${why}`;
}

/** A connection to the supervisor: typed requests, and events after `subscribe`. */
export class MusterClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: EventMessage) => void>();
  private closed: { cause: string } | null = null;
  private readonly closeListeners = new Set<() => void>();
  /** How replies and parameters are checked: see `fewCalls`. */
  private parseContext: { jitless: true } | undefined;

  private constructor(
    private readonly socket: Duplex,
    private readonly caller: Caller | undefined,
    /** What the stream is, when it is not the local socket: "host:path" over ssh. */
    private readonly link: string | null = null,
  ) {
    socket.setEncoding('utf8');
    const splitter = new LineSplitter((line) => this.onLine(line));
    socket.on('data', (chunk: string) => splitter.push(chunk));
    socket.on('close', () => this.onClose(''));
    // ECONNRESET, EPIPE: the supervisor died; 'close' follows, the code says how. A link's
    // stream ends with a MusterError that says in words why (ssh's own message).
    socket.on('error', (e: NodeJS.ErrnoException) => this.onClose(e instanceof MusterError ? e.message : (e.code ?? e.message)));
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

  /**
   * A client over any byte stream carrying the protocol, e.g. `ssh host muster proxy` (`link`
   * names it in errors: "host:path"). Without a caller the requests carry none: the proxy at
   * the far end says who is asking.
   */
  static over(stream: Duplex, caller?: Caller, link: string | null = null): MusterClient {
    return new MusterClient(stream, caller, link);
  }

  /**
   * This client makes a call or two and its process exits (a CLI command): check with zod's
   * plain parser. Its default compiles a parser for each object shape on first use (`new
   * Function`), which pays off over many messages and cost a short command more than it saved.
   */
  fewCalls(): this {
    this.parseContext = { jitless: true };
    return this;
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new SupervisorGoneError(method, false, this.closed?.cause ?? '', this.link));
    const checked = METHODS[method].params.safeParse(params, this.parseContext);
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

  /**
   * Ends the connection. With `linger: false` the process does not stay up for the supervisor's
   * side of the goodbye: a one-shot command is done once its replies are in, and waiting for a
   * busy supervisor to close its end kept it alive a round trip longer. What was written still
   * goes out first (the pending write and the shutdown keep the event loop running).
   */
  close(opts: { linger?: boolean } = {}): void {
    this.socket.end();
    if (opts.linger === false) (this.socket as { unref?: () => void }).unref?.();
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const reply = replySchema.safeParse(raw, this.parseContext);
    if (reply.success) {
      const p = this.pending.get(reply.data.id);
      if (!p) return;
      this.pending.delete(reply.data.id);
      if (!reply.data.ok) {
        p.reject(new MusterError(reply.data.error.code, reply.data.error.message, reply.data.error.data));
        return;
      }
      const result = METHODS[p.method].result.safeParse(reply.data.result, this.parseContext);
      if (result.success) p.resolve(result.data);
      else
        p.reject(
          new MusterError(
            'failure',
            `The supervisor answered ${p.method} with an unexpected shape: ${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`,
          ),
        );
      return;
    }
    const event = eventSchema.safeParse(raw, this.parseContext);
    if (event.success) for (const l of this.listeners) l(event.data);
  }

  private onClose(cause: string): void {
    if (this.closed) return;
    this.closed = { cause };
    for (const p of this.pending.values()) p.reject(new SupervisorGoneError(p.method, true, cause, this.link));
    this.pending.clear();
    for (const l of this.closeListeners) l();
  }
}
