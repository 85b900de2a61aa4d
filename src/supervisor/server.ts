import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { MusterError } from '../protocol/errors.js';
import { requestSchema, type EventMessage, type Reply, type Request } from '../protocol/messages.js';
import { encode, LineSplitter } from '../protocol/ndjson.js';

/** One connected client. */
export class Connection {
  readonly topics = new Set<string>();
  /** Terminal streams this client follows: task id -> unsubscribe. */
  readonly streams = new Map<number, () => void>();
  /** Panes this client shows: task id -> row stream. */
  readonly watches = new Map<number, { update: (size: { width: number; height: number }, opts: { color: boolean; cursor: boolean }) => void; close: () => void }>();
  private closed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
  ) {
    socket.on('close', () => {
      this.closed = true;
    });
  }

  send(message: Reply | EventMessage): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encode(message));
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
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o700 });
    // Only the supervisor holding the instance lock gets here: a socket file left now is stale.
    rmSync(this.socketPath, { force: true });
    const server = createServer((socket) => this.accept(socket));
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(this.socketPath, 0o600);
    this.server = server;
  }

  get clients(): ReadonlySet<Connection> {
    return this.connections;
  }

  broadcast(topic: string, data: unknown): void {
    for (const c of this.connections) if (c.topics.has(topic) || c.topics.has('*')) c.send({ t: 'evt', topic, data });
  }

  private accept(socket: Socket): void {
    socket.setEncoding('utf8');
    const conn = new Connection(this.nextId++, socket);
    this.connections.add(conn);
    const splitter = new LineSplitter((line) => void this.onLine(line, conn));
    socket.on('data', (chunk: string) => {
      try {
        splitter.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const unsubscribe of conn.streams.values()) unsubscribe();
      conn.streams.clear();
      for (const w of conn.watches.values()) w.close();
      conn.watches.clear();
      this.connections.delete(conn);
      this.onClose(conn);
    });
  }

  private async onLine(line: string, conn: Connection): Promise<void> {
    let id = -1;
    try {
      const raw: unknown = JSON.parse(line);
      if (raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'number') id = (raw as { id: number }).id;
      const parsed = requestSchema.safeParse(raw);
      if (!parsed.success) throw new MusterError('bad-input', `Malformed request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      const result = await this.handle(parsed.data, conn);
      conn.send({ t: 'res', id, ok: true, result });
    } catch (e) {
      const err = e instanceof MusterError ? e : new MusterError('failure', e instanceof SyntaxError ? `Malformed request: ${e.message}` : `Internal error: ${(e as Error).stack ?? String(e)}`);
      conn.send({ t: 'res', id, ok: false, error: err.toWire() });
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.connections) c.end();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }
}
