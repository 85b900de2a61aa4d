import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { peerCredentials } from '../proc/native.js';
import { readStat } from '../proc/proc-table.js';
import { listenOwnerOnly, removeSocket, socketFd } from './owner-socket.js';
import { prepareSocketDir } from '../../paths/muster-paths.js';
import { MusterError } from '../../protocol/errors.js';
import { requestSchema, type EventMessage, type Reply, type Request } from '../../protocol/messages.js';
import { encode, readLines } from '../../protocol/ndjson.js';
import type { TopicInput, TopicName } from '../../protocol/topics.js';

/** The process that opened a connection, as the kernel saw it at connect(2) (SO_PEERCRED). */
export interface Peer {
  pid: number;
  uid: number;
  /** The pid's start time when the connection was accepted: a reused pid is not the peer. */
  start: string | null;
}

/**
 * Who a host's worker says opened a connection it forwards (an agent's `muster` on that host):
 * the supervisor trusts it only for a task placed on that host.
 */
export interface Vouched {
  host: string;
  task: number;
  pid: number;
  comm: string;
  how: string;
  /** The task's worktree on the host. */
  worktree: string | null;
}

/** One connected client. */
export class Connection {
  readonly topics = new Set<TopicName>();
  /** Terminal streams this client follows: task id -> unsubscribe. */
  readonly streams = new Map<number, () => void>();
  /** Panes this client shows: task id -> row stream. */
  readonly watches = new Map<
    number,
    { update: (size: { width: number; height: number }, opts: { color: boolean; cursor: boolean }) => void; close: () => void }
  >();
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Duplex,
    /** Who connected; null only where the system cannot say. */
    readonly peer: Peer | null = null,
    /** Why every request of this connection is refused (another user), or null. */
    readonly refusal: string | null = null,
    /** A connection a host's worker forwards: who it says asks. */
    readonly vouched: Vouched | null = null,
  ) {
    socket.on('close', () => {
      this.closed = true;
    });
  }

  send(message: Reply | EventMessage): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encode(message));
  }

  /** An event to this client only (its log, its attached screen), its data as the topic has it. */
  publish<T extends TopicName>(topic: T, data: TopicInput<T>): void {
    this.send({ t: 'evt', topic, data });
  }

  /** Bytes queued for a client that reads slower than we write. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Calls `cb` when the client goes away (at once if it already has). */
  onClosed(cb: () => void): void {
    if (this.closed) cb();
    else this.socket.once('close', cb);
  }

  /** Calls `cb` once the socket's write buffer has drained. */
  onDrain(cb: () => void): void {
    this.socket.once('drain', cb);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  end(): void {
    this.socket.end();
    // A client that never closes its side must not hold the supervisor open.
    setTimeout(() => this.socket.destroy(), 500).unref();
  }
}

export type RequestHandler = (req: Request, conn: Connection) => Promise<unknown>;

/**
 * Serves newline-delimited JSON on a Unix socket that only its owner can open. Every request
 * gets exactly one reply; a malformed line gets an error reply and does not close the link.
 */
export class SocketServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly socketPath: string,
    private readonly handle: RequestHandler,
    private readonly onClose: (conn: Connection) => void = () => undefined,
  ) {}

  async listen(): Promise<void> {
    prepareSocketDir(this.socketPath, true);
    // Only the supervisor holding the instance lock gets here: a socket file left now is stale.
    const server = await listenOwnerOnly(this.socketPath, (socket) => this.accept(socket));
    this.server = server;
  }

  get clients(): ReadonlySet<Connection> {
    return this.connections;
  }

  /** An event to every client that subscribed to its topic. */
  broadcast<T extends TopicName>(topic: T, data: TopicInput<T>): void {
    for (const c of this.connections) if (c.topics.has(topic)) c.publish(topic, data);
  }

  /**
   * Who is at the other end. The socket file is 0600 in a 0700 directory, so only this user
   * can connect; the kernel's record of the peer (one getsockopt, ~1.5 µs, plus one read of
   * /proc/<pid>/stat) also keeps out any other uid if those permissions ever fail, and tells
   * the handlers which process asks (agents may not do what only the operator may).
   */
  private identify(socket: Socket): { peer: Peer | null; refusal: string | null } {
    const fd = socketFd(socket);
    const me = process.getuid?.();
    if (fd === null || me === undefined)
      return { peer: null, refusal: me === undefined ? null : 'The supervisor could not tell who connected; the request was refused.' };
    let cred;
    try {
      cred = peerCredentials(fd);
    } catch (e) {
      return { peer: null, refusal: `The supervisor could not tell who connected (${(e as Error).message}); the request was refused.` };
    }
    const peer: Peer = { pid: cred.pid, uid: cred.uid, start: readStat(cred.pid)?.start ?? null };
    if (cred.uid === me) return { peer, refusal: null };
    process.stderr.write(`muster: refused a connection from uid ${cred.uid} (pid ${cred.pid}): this supervisor belongs to uid ${me}\n`);
    return {
      peer,
      refusal: `This muster supervisor belongs to uid ${me}; a process of uid ${cred.uid} (pid ${cred.pid}) may not use it. Run muster as the user who owns the repository's supervisor.`,
    };
  }

  private accept(socket: Socket): void {
    const { peer, refusal } = this.identify(socket);
    this.adopt(socket, peer, refusal, null);
  }

  /**
   * Serves a connection that did not come through this socket: one a host's worker forwards
   * over its ssh channel, with who it says asks (`vouched`) or why it is refused.
   */
  adopt(socket: Duplex, peer: Peer | null, refusal: string | null, vouched: Vouched | null): Connection {
    socket.setEncoding('utf8');
    const conn = new Connection(this.nextId++, socket, peer, refusal, vouched);
    this.connections.add(conn);
    readLines(socket, (line) => void this.onLine(line, conn));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const unsubscribe of conn.streams.values()) unsubscribe();
      conn.streams.clear();
      for (const w of conn.watches.values()) w.close();
      conn.watches.clear();
      this.connections.delete(conn);
      this.onClose(conn);
    });
    return conn;
  }

  private async onLine(line: string, conn: Connection): Promise<void> {
    let id = -1;
    try {
      const raw: unknown = JSON.parse(line);
      if (raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'number') id = (raw as { id: number }).id;
      if (conn.refusal) {
        conn.send({ t: 'res', id, ok: false, error: new MusterError('failure', conn.refusal).toWire() });
        conn.end();
        return;
      }
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) throw new MusterError('bad-input', `Malformed request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const result = await this.handle(parsed.data, conn);
      conn.send({ t: 'res', id, ok: true, result });
    } catch (e) {
      const err =
        e instanceof MusterError
          ? e
          : new MusterError('failure', e instanceof SyntaxError ? `Malformed request: ${e.message}` : `Internal error: ${(e as Error).stack ?? String(e)}`);
      conn.send({ t: 'res', id, ok: false, error: err.toWire() });
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.connections) c.end();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    removeSocket(this.socketPath);
  }
}
