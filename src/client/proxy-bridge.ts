import { connect as netConnect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Caller } from '../protocol/methods.js';
import { encode, LineSplitter } from '../protocol/ndjson.js';
import { homeDir } from '../paths/home-dir.js';
import { prepareSocketDir, UnsafeSocketDirError } from '../paths/muster-paths.js';
import { isNotListening, pathsFor, startInBackground } from './connect.js';
import { EXIT_NOT_RUNNING } from './ssh-transport.js';

export interface ProxyOptions {
  /** The repository (any directory in it); `~` and `~/…` are the home directory. */
  cwd: string;
  /** Start the supervisor when none runs (default true). */
  start: boolean;
  input: Readable;
  output: Writable;
  /** Where the proxy says why it stopped early (its stdout is the protocol's). */
  say: (message: string) => void;
}

/** A directory as the remote shell would have expanded it, had we not quoted it. */
export function expandHome(path: string, home = homeDir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return resolve(home, path.slice(2));
  return path;
}

/**
 * Who asks, for every request through the proxy: the operator, at the repository's root. The
 * far side's directory, worktree and MUSTER_TASK_ID mean nothing here. Operator locks taken
 * this way belong to no process (pid 0): they stay until released, as a lock taken from a
 * shell on this machine stays while that shell lives, since the operator's shell over there
 * cannot be watched from here.
 */
export function proxyCaller(mainRoot: string): Caller {
  return { cwd: mainRoot, worktreeRoot: null, envTaskId: null, pid: process.pid, ppid: process.pid, ownerPid: 0 };
}

/**
 * Opens the supervisor's socket once its directory is shown to be the user's alone, as
 * `connect` does: in a fallback directory someone else controls, a listener of theirs would
 * receive every request piped through, prompts included.
 */
function openSocket(path: string): Promise<Socket> {
  prepareSocketDir(path, false);
  return new Promise((ok, fail) => {
    const socket = netConnect(path);
    socket.once('connect', () => {
      socket.removeListener('error', fail);
      ok(socket);
    });
    socket.once('error', fail);
  });
}

/**
 * `muster proxy`: the repository's supervisor socket on stdin/stdout, for `ssh host muster
 * proxy`. Replies, events and terminal rows flow back byte for byte; requests are passed on
 * line by line with the proxy's own caller (above). Resolves with the exit code once either
 * side has closed.
 */
export async function runProxy(opts: ProxyOptions): Promise<number> {
  const paths = pathsFor(expandHome(opts.cwd));
  let socket: Socket;
  try {
    try {
      socket = await openSocket(paths.socketPath);
    } catch (e) {
      if (!isNotListening(e)) throw e;
      if (!opts.start) {
        opts.say(`No muster supervisor is running for ${paths.repo.mainRoot}.`);
        return EXIT_NOT_RUNNING;
      }
      await startInBackground(paths, 15_000);
      socket = await openSocket(paths.socketPath);
    }
  } catch (e) {
    if (!(e instanceof UnsafeSocketDirError)) throw e;
    opts.say(e.message);
    return 1;
  }
  const caller = proxyCaller(paths.repo.mainRoot);
  const { input, output } = opts;
  return new Promise<number>((done) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      input.destroy();
      socket.destroy();
      // What the supervisor said last still reaches the client before we exit.
      if ((output as { writableEnded?: boolean }).writableEnded) done(0);
      else output.end(() => done(0));
    };
    const splitter = new LineSplitter((line) => {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        // The supervisor answers a malformed line itself.
        if (!socket.write(`${line}\n`)) pauseUntilDrained();
        return;
      }
      const stamped = message && typeof message === 'object' && !Array.isArray(message) ? { ...(message as object), caller } : message;
      if (!socket.write(encode(stamped))) pauseUntilDrained();
    });
    const pauseUntilDrained = () => {
      input.pause();
      socket.once('drain', () => input.resume());
    };
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      try {
        splitter.push(chunk);
      } catch {
        finish();
      }
    });
    input.on('end', () => socket.end());
    input.on('error', finish);
    socket.pipe(output, { end: false });
    socket.on('close', finish);
    socket.on('error', finish);
    // ssh went away: nobody reads what the supervisor says any more.
    output.on('error', finish);
  });
}
