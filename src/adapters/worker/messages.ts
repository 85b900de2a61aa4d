/**
 * What the supervisor and its terminal worker (`muster worker`) say to each other over the
 * worker's Unix socket, one JSON object a line (protocol/ndjson). Both ends are this same
 * build of muster, started by the same user; the socket is 0600 and the peer's uid is checked.
 */

/** One terminal the worker hosts: a task's, with the process running in it now (if any). */
export interface HostedTerminal {
  task: number;
  /** The leader of what runs in it now (forkpty: pid = sid = pgid), or null. */
  pid: number | null;
  pty: string | null;
  cols: number;
  rows: number;
}

export interface WorkerRequests {
  /** Who the worker is and what it hosts. */
  hello: { params: Record<string, never>; result: { pid: number; version: number; terminals: HostedTerminal[] } };
  /** Opens (or finds) a task's terminal and its log. */
  open: { params: { task: number; logFile: string; logMaxBytes: number; logKeep: number; cols: number; rows: number }; result: Record<string, never> };
  /** Starts a program in a new PTY of the task's terminal. */
  /**
   * Starts a program in a new PTY of the task's terminal. Unless it `outlives` the connection
   * that started it (an agent), it gets the hangup it would have got from a terminal owned by
   * the supervisor when that connection closes (a setup command, whose result nobody could record).
   */
  run: {
    params: { task: number; argv: string[]; cwd: string; env: Record<string, string>; cols: number; rows: number; outlives: boolean };
    result: { pid: number; pty: string | null };
  };
  /** Streams the task's output to this connection from now on; returns what it kept of the output before (its log's tail). */
  attach: { params: { task: number }; result: { tail: string } };
  write: { params: { task: number; data: string }; result: Record<string, never> };
  resize: { params: { task: number; cols: number; rows: number }; result: Record<string, never> };
  /** Output muster itself adds (a note): logged and streamed like the program's. */
  output: { params: { task: number; data: string }; result: Record<string, never> };
  /** Signals the process group running in the task's terminal. */
  signal: { params: { task: number; signal: NodeJS.Signals }; result: Record<string, never> };
  /** Resolves once everything written to the task's log is on disk. */
  drain: { params: { task: number }; result: Record<string, never> };
  /** The supervisor stops for good: the worker exits once every process it hosts has. */
  shutdown: { params: Record<string, never>; result: Record<string, never> };
}

export type WorkerMethod = keyof WorkerRequests;

export type WorkerRequest = { [M in WorkerMethod]: { id: number; m: M; p: WorkerRequests[M]['params'] } }[WorkerMethod];

export type WorkerReply = { id: number; ok: true; r: unknown } | { id: number; ok: false; err: string };

/** Unasked: output of a task's terminal (to connections attached to it) and exits (to every connection). */
export type WorkerEvent = { e: 'out'; task: number; data: string } | { e: 'exit'; task: number; pid: number; exitCode: number; signal: number | null };

/** Bumped when the messages change: a supervisor never reattaches to a worker of another version. */
export const WORKER_PROTOCOL = 1;
