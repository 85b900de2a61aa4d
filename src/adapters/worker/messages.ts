import type { RowFrameView, ScreenFrameView } from '../../protocol/shapes.js';

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
  /** How the last program that ran in it ended, for a supervisor that was not connected then. */
  lastExit?: { pid: number; exitCode: number; signal: number | null } | null;
}

export interface WorkerRequests {
  /** Who the worker is and what it hosts. */
  hello: { params: Record<string, never>; result: { pid: number; version: number; terminals: HostedTerminal[] } };
  /**
   * Opens (or finds) a task's terminal and its log, and emulates its screen (`scrollback` lines
   * of history) for the views, summaries and history asked of it, here and on another host alike.
   * On another host the log file is relative to the worker's work directory.
   */
  open: {
    params: { task: number; logFile: string; logMaxBytes: number; logKeep: number; cols: number; rows: number; scrollback: number };
    result: Record<string, never>;
  };
  /**
   * Starts a program in a new PTY of the task's terminal. Unless it `outlives` the connection
   * that started it (an agent), it gets the hangup it would have got from a terminal owned by
   * the supervisor when that connection closes (a setup command, whose result nobody could record).
   */
  run: {
    params: { task: number; argv: string[]; cwd: string; env: Record<string, string>; cols: number; rows: number; outlives: boolean };
    result: { pid: number; pty: string | null };
  };
  /** Sends this connection its screen summaries (`seen`) from now on; returns the one of now. */
  watch: { params: { task: number }; result: ScreenSummary };
  /** Streams (or stops streaming) the task's raw output to this connection (`out`): only while someone reads the bytes. */
  listen: { params: { task: number; on: boolean }; result: Record<string, never> };
  /**
   * Draws the task's screen for a view of this connection (`id`, unique on it) as changed rows
   * (`frame` events), at most ~30 a second; again with the same id: a new size or options.
   * Answers once the output so far is parsed, so the first frame shows all of it.
   */
  view: { params: { task: number; id: number } & ViewSpec; result: Record<string, never> };
  unview: { params: { task: number; id: number }; result: Record<string, never> };
  /** The operator typed into the view: its next frames go out as soon as the echo is parsed. */
  echo: { params: { task: number; id: number }; result: Record<string, never> };
  /** The emulator's history and screen for the scrollback reader (rows rendered, and as plain lines to find them in the log). */
  history: { params: { task: number; color: boolean }; result: ScreenHistory };
  /** Resolves once the output so far is parsed and the views' frames of it are sent. */
  settle: { params: { task: number }; result: Record<string, never> };
  /** Puts the last screen the task's log leaves onto its emulator, unless something was written there already. */
  seed: { params: { task: number }; result: Record<string, never> };
  write: { params: { task: number; data: string }; result: Record<string, never> };
  resize: { params: { task: number; cols: number; rows: number }; result: Record<string, never> };
  /** Output muster itself adds (a note): logged and streamed like the program's. */
  output: { params: { task: number; data: string }; result: Record<string, never> };
  /** Signals the process group running in the task's terminal. */
  signal: { params: { task: number; signal: NodeJS.Signals }; result: Record<string, never> };
  /** Resolves once everything written to the task's log is on disk. */
  drain: { params: { task: number }; result: Record<string, never> };
  /**
   * On another host (`muster worker --dir`): makes the bare repository `repo` in the work
   * directory, which the supervisor then pushes the task's branch to with git over ssh.
   */
  prepare: {
    params: { repo: string };
    /** `tasksDir`: where each task's files go (`<tasksDir>/<task>`); `muster`: the host's own, which `checkout` puts there. */
    result: { gitDir: string; tasksDir: string; muster: string };
  };
  /**
   * On another host: the task's worktree on its branch (made once, from what the supervisor
   * pushed), the task's files (its prompt) in a directory beside it, and a watch that snapshots
   * its work to `refs/muster/wip/<task>` after each change and says so (`work`).
   */
  checkout: {
    params: { repo: string; task: number; branch: string; files: Record<string, string> };
    /** `muster`: the host's own, for the agent's PATH and its CLI's hooks. */
    result: { worktree: string; taskDir: string; gitDir: string; muster: string };
  };
  /**
   * On another host: this connection's supervisor answers the `muster` calls of repository
   * `repo`'s agents here. The worker serves the repository's supervisor socket on the host
   * (where `muster` run in its worktrees looks), forwards each connection to it as a channel
   * (`call-*` events) and renews the leases of its tasks' locks every `renewMs` (`renew`).
   */
  serve: { params: { repo: string; renewMs: number }; result: { socketPath: string } };
  /** What the supervisor says on channel `ch` (replies, events), one line of its protocol. */
  'call-reply': { params: { ch: number; line: string }; result: Record<string, never> };
  /** The supervisor is done with channel `ch` (it refused it): the agent's connection is closed. */
  'call-end': { params: { ch: number }; result: Record<string, never> };
  /** On another host: snapshots the task's work now (committed and not) and returns it. */
  snapshot: { params: { repo: string; task: number }; result: WorkSnapshot };
  /** The supervisor stops for good: the worker exits once every process it hosts has. */
  shutdown: { params: Record<string, never>; result: Record<string, never> };
}

export type WorkerMethod = keyof WorkerRequests;

/** With no `id`, the worker does not answer (keystrokes, resizes: nobody waits for those, and over ssh each answer costs a packet). */
export type WorkerRequest = { [M in WorkerMethod]: { id?: number; m: M; p: WorkerRequests[M]['params'] } }[WorkerMethod];

export type WorkerReply = { id: number; ok: true; r: unknown } | { id: number; ok: false; err: string };

/** A task's work on another host: its branch's commit and a commit of everything in its worktree on top. */
export interface WorkSnapshot {
  head: string;
  /** `refs/muster/wip/<task>` of the host's repository: HEAD's child whose tree is the worktree as it is, untracked files included. */
  wip: string;
}

/** How a view draws a task's screen. */
export interface ViewSpec {
  width: number;
  height: number;
  color: boolean;
  /** Draw the agent's cursor into the rows as inverse video (the selected pane). */
  cursor: boolean;
  /** A full-screen attach: frames say where the real cursor goes and which input modes the agent wants. */
  screen: boolean;
}

/** What the activity judgement reads of a screen, instead of every byte of output. */
export interface ScreenSummary {
  /** Milliseconds since the last output, as the worker measured it then; null: none yet. */
  ago: number | null;
  /** The last non-empty lines of the screen. */
  tail: string[];
}

export interface ScreenHistory {
  width: number;
  /** The history rows the screen follows on from, then the screen, rendered (colours as asked). */
  recent: string[];
  /** The same rows as plain logical lines (wrapped rows joined), to find where they start in the log. */
  own: string[];
}

/**
 * Unasked: raw output of a task's terminal (to connections listening to it), its
 * screen summaries (to connections watching it), frames (to the connection of the view), exits, and
 * (on another host) new work snapshotted in a task's worktree (to every connection).
 */
export type WorkerEvent =
  | { e: 'out'; task: number; data: string }
  | ({ e: 'seen'; task: number } & ScreenSummary)
  | { e: 'frame'; task: number; view: number; frame: RowFrameView | ScreenFrameView }
  | { e: 'exit'; task: number; pid: number; exitCode: number; signal: number | null }
  | ({ e: 'work'; task: number } & WorkSnapshot)
  | CallEvent
  | { e: 'renew'; repo: string; tasks: number[] };

/**
 * Who opened a channel, as the host's worker judged it from the kernel's record of the peer
 * (its uid, then its ancestry: in the session of a task's agent, or working in a task's
 * worktree). `task` null: neither; the supervisor refuses such a channel.
 */
export interface CallOrigin {
  task: number | null;
  pid: number;
  comm: string;
  how: string;
  /** The task's worktree on the host. */
  worktree: string | null;
}

/** An agent's connection to the supervisor socket served on a host: opened, a request line, closed. */
export type CallEvent =
  | ({ e: 'call-open'; ch: number; repo: string } & CallOrigin)
  | { e: 'call-line'; ch: number; line: string }
  | { e: 'call-close'; ch: number };

/** Bumped when the messages change: a supervisor never reattaches to a worker of another version. */
export const WORKER_PROTOCOL = 5;
