import { connect } from 'node:net';
import { musterBin } from '../../paths/package-root.js';
import { hostWorkerPaths } from './pty-host.js';
import { connectWorker } from './worker-client.js';

/**
 * `muster worker --stdio --dir <work dir>`, what a supervisor on another machine runs over
 * ssh: this host's worker for that work directory (started when none runs, detached, so the
 * agents outlive the ssh connection) on stdin and stdout, byte for byte. The worker protocol
 * is the one the local worker speaks over its socket; ssh carries it and authenticates.
 * Resolves with the exit code when either side ends.
 */
export async function runStdioBridge(dir: string): Promise<number> {
  const paths = hostWorkerPaths(dir);
  let started;
  try {
    started = await connectWorker({ socketPath: paths.socketPath, logFile: paths.logFile, bin: musterBin(), cwd: paths.dir, args: ['--dir', paths.dir] });
  } catch (e) {
    process.stderr.write(`muster: ${(e as Error).message}\n`);
    return 1;
  }
  started.client.close();
  const socket = connect(paths.socketPath);
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(code);
    };
    socket.once('error', (e) => {
      process.stderr.write(`muster: the worker on ${paths.socketPath} went away: ${e.message}\n`);
      finish(1);
    });
    socket.once('close', () => finish(0));
    process.stdin.once('end', () => finish(0));
    process.stdin.once('close', () => finish(0));
    process.stdout.on('error', () => finish(0));
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
  });
}
