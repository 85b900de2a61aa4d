import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server, Socket } from 'node:net';
import { hostServedMarker, prepareSocketDir, socketPathFor } from '../../paths/muster-paths.js';
import { MusterError } from '../../protocol/errors.js';
import { encode, readLines } from '../../protocol/ndjson.js';
import { peerCredentials } from '../proc/native.js';
import { readCwd, readStat } from '../proc/proc-table.js';
import { listenOwnerOnly, removeSocket, socketFd } from '../socket/owner-socket.js';
import type { CallEvent, CallOrigin, WorkerEvent } from './messages.js';

interface Served {
  repo: string;
  socketPath: string;
  server: Server;
  /** The supervisor's connection that answers this repository's calls now, or null (none connected). */
  route: Socket | null;
  renew: NodeJS.Timeout | null;
}

interface Channel {
  repo: string;
  agent: Socket;
  route: Socket | null;
  /** Requests sent on and not answered yet: answered here if the route goes. */
  pending: Set<number>;
}

/** What the host's worker knows that the calls need: its terminals' leaders, and where a task's worktree is. */
export interface HostCallsSource {
  /** The pid leading each task's terminal now (its agent's session): pid -> task. */
  leaders(): Map<number, number>;
  worktree(repo: string, task: number): string;
  /** The task whose worktree `path` is in, or null. */
  taskAt(repo: string, path: string): number | null;
  /** The tasks whose agents run now. */
  running(): number[];
}

/**
 * On another host: the agents' `muster` calls, carried to their supervisor over its ssh
 * connection to this worker. For each repository a supervisor serves, the worker listens on
 * the socket `muster` looks for in that repository's worktrees here (0600, in the bare
 * repository's state directory, as the local one), judges who connected by the kernel's
 * record of the peer, and passes the connection on as a channel of `call-*` events; the
 * supervisor answers with `call-reply`. Nothing listens on the network: ssh is the only way in.
 */
export class HostCalls {
  private readonly served = new Map<string, Served>();
  private readonly channels = new Map<number, Channel>();
  private nextChannel = 1;

  constructor(
    private readonly source: HostCallsSource,
    private readonly send: (route: Socket, event: WorkerEvent) => void,
  ) {}

  /** The supervisor on `route` answers repository `repo`'s calls from now; renewals every `renewMs`. */
  async serve(repo: string, gitDir: string, route: Socket, renewMs: number): Promise<{ socketPath: string }> {
    let s = this.served.get(repo);
    if (!s) {
      const stateDir = join(gitDir, 'muster');
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      // `muster` in a worktree here must never start a supervisor of its own for the bare repository.
      writeFileSync(hostServedMarker(stateDir), `${process.pid}\n`, { mode: 0o600 });
      const socketPath = socketPathFor(stateDir);
      prepareSocketDir(socketPath, true);
      const server = await listenOwnerOnly(socketPath, (socket) => this.accept(repo, socket));
      s = { repo, socketPath, server, route: null, renew: null };
      this.served.set(repo, s);
    }
    const served = s;
    // A new connection of the supervisor replaces the old one: calls open on the old one could never be answered.
    if (served.route && served.route !== route) this.endRoute(repo, served.route);
    served.route = route;
    if (served.renew) clearInterval(served.renew);
    const renew = (): void => {
      if (served.route === route && route.writable) this.send(route, { e: 'renew', repo, tasks: this.source.running() });
    };
    served.renew = setInterval(renew, Math.max(50, renewMs));
    served.renew.unref();
    // At once: a host that comes back renews before anyone looks.
    setImmediate(renew);
    return { socketPath: served.socketPath };
  }

  /** A supervisor's connection closed: the channels it carried are closed too (their replies cannot come). */
  routeClosed(route: Socket): void {
    for (const s of this.served.values()) {
      if (s.route !== route) continue;
      s.route = null;
      if (s.renew) clearInterval(s.renew);
      s.renew = null;
    }
    for (const [ch, c] of this.channels) if (c.route === route) this.drop(ch);
  }

  /** A line from the supervisor for channel `ch`. */
  reply(ch: number, line: string): void {
    const c = this.channels.get(ch);
    const id = idOf(line);
    if (id !== null) c?.pending.delete(id);
    if (c?.agent.writable) c.agent.write(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Ends repository `repo`'s channels on `route`, each request still open answered with an error the caller can act on. */
  private endRoute(repo: string, route: Socket): void {
    const err = new MusterError('failure', "The supervisor's connection to this host was replaced while this call was open; retry it.");
    for (const [ch, c] of this.channels) {
      if (c.repo !== repo || c.route !== route) continue;
      this.channels.delete(ch);
      for (const id of c.pending) if (c.agent.writable) c.agent.write(encode({ t: 'res', id, ok: false, error: err.toWire() }));
      c.agent.end();
      if (route.writable) this.send(route, { e: 'call-close', ch });
    }
  }

  end(ch: number): void {
    this.channels.get(ch)?.agent.end();
  }

  private drop(ch: number): void {
    const c = this.channels.get(ch);
    this.channels.delete(ch);
    c?.agent.destroy();
  }

  private accept(repo: string, agent: Socket): void {
    agent.setEncoding('utf8');
    const fd = socketFd(agent);
    let pid: number;
    try {
      const cred = fd === null ? null : peerCredentials(fd);
      if (!cred || cred.uid !== process.getuid?.()) throw new Error('foreign uid');
      pid = cred.pid;
    } catch {
      agent.destroy();
      return;
    }
    const origin = this.judge(repo, pid);
    const route = this.served.get(repo)?.route ?? null;
    const ch = this.nextChannel++;
    const channel: Channel = { repo, agent, route, pending: new Set() };
    this.channels.set(ch, channel);
    agent.on('error', () => agent.destroy());
    agent.on('close', () => {
      if (!this.channels.has(ch)) return;
      this.channels.delete(ch);
      if (route?.writable) this.send(route, { e: 'call-close', ch });
    });
    if (!route?.writable) {
      readLines(agent, (line) => this.unanswered(agent, line));
      return;
    }
    this.send(route, { e: 'call-open', ch, repo, ...origin } satisfies CallEvent);
    readLines(agent, (line) => {
      if (!route.writable || this.channels.get(ch) !== channel) return;
      const id = idOf(line);
      if (id !== null) channel.pending.add(id);
      this.send(route, { e: 'call-line', ch, line });
      // The ssh channel is one for every agent and every screen here: an agent that writes faster than it
      // carries waits (its socket unread, the kernel holding the rest) until it drains, instead of the worker's memory.
      if (route.writableNeedDrain && !agent.isPaused()) {
        agent.pause();
        route.once('drain', () => agent.resume());
      }
    });
  }

  /** No supervisor is connected to this host for the repository: each request says so. */
  private unanswered(agent: Socket, line: string): void {
    // A malformed line is answered with id -1, as the supervisor answers one.
    const id = idOf(line) ?? -1;
    const err = new MusterError(
      'failure',
      "This task's supervisor runs on another machine and is not connected to this host now (its ssh connection is down; it reconnects by itself). Retry in a moment; until then the commit guard refuses commits here, and your work stays in the worktree.",
    );
    if (agent.writable) agent.write(encode({ t: 'res', id, ok: false, error: err.toWire() }));
  }

  /**
   * The task a connecting process works for: the nearest ancestor that leads a task's
   * terminal (its agent's session) or is in that session, else the worktree it runs in.
   */
  private judge(repo: string, pid: number): CallOrigin {
    const first = readStat(pid);
    const comm = first?.comm ?? '?';
    const leaders = this.source.leaders();
    let p = first;
    for (let hops = 0; p && hops < 200; hops++) {
      const task = leaders.get(p.sid) ?? leaders.get(p.pid);
      if (task !== undefined)
        return { task, pid, comm, how: `it runs in the session of task #${task}'s agent on this host`, worktree: this.source.worktree(repo, task) };
      if (p.ppid <= 1) break;
      p = readStat(p.ppid);
    }
    const cwd = readCwd(pid);
    const task = cwd ? this.source.taskAt(repo, cwd) : null;
    if (task !== null) {
      return { task, pid, comm, how: `it works in task #${task}'s worktree on this host`, worktree: this.source.worktree(repo, task) };
    }
    return { task: null, pid, comm, how: "it neither descends from a task's agent on this host nor works in a task's worktree", worktree: null };
  }

  close(): void {
    for (const ch of [...this.channels.keys()]) this.drop(ch);
    for (const s of this.served.values()) {
      if (s.renew) clearInterval(s.renew);
      s.server.close();
      removeSocket(s.socketPath);
    }
    this.served.clear();
  }
}

/** The id of a request or response line, or null (not JSON, or none). */
function idOf(line: string): number | null {
  try {
    const raw = JSON.parse(line) as { id?: unknown };
    return typeof raw.id === 'number' ? raw.id : null;
  } catch {
    return null;
  }
}
