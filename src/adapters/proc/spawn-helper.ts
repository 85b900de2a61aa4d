import { spawn, type ChildProcess } from 'node:child_process';

/** What a program run through the helper did, as `execFile` reports it. */
export interface HelperRun {
  stdout: string;
  stderr: string;
  /** The exit code, or null when it did not exit on its own (a signal, too much output, not found). */
  code: number | null;
  /** Why there is no exit code (execFile's message), when there is none. */
  error: string | null;
}

interface Request {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  input?: string;
  maxBuffer: number;
}

// The helper's whole program: run what it is sent with execFile and send back what it did.
// Node's IPC channel carries the messages (JSON); the helper ends when its parent goes.
const PROGRAM = `
const { execFile } = require('node:child_process');
process.on('message', (m) => {
  const child = execFile(m.file, m.args, { cwd: m.cwd, env: m.env, maxBuffer: m.maxBuffer, encoding: 'utf8' }, (err, stdout, stderr) => {
    const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
    process.send({ id: m.id, stdout, stderr, code, error: code === null ? String(err && err.message) : null });
  });
  child.on('error', () => {});
  if (m.input !== undefined) { child.stdin.on('error', () => {}); child.stdin.end(m.input); }
});
process.on('disconnect', () => process.exit(0));
`;

/**
 * Runs programs from one long-lived small Node process instead of forking the caller. Forking
 * copies the caller's page tables on its main thread: from a process of ~170 MB (the supervisor
 * with 32 agents is 290 MB) each `git rev-parse` blocked the event loop 8.2–8.8 ms, and 60 at
 * once 650 ms; through the helper 0.3 ms each and 1 ms for the 60, at the same latency
 * (12.4 against 12.9 ms per call; 60 calls each way in one process holding 170 MB, load 4.7).
 * For a small short-lived process (the CLI) starting the helper costs more than it saves: only
 * the supervisor turns it on (`useSpawnHelper`).
 */
export class SpawnHelper {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: HelperRun) => void; reject: (e: Error) => void; what: string }>();

  run(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string; maxBuffer: number }): Promise<HelperRun> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise<HelperRun>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, what: `${file} ${args.join(' ')}` });
      // Referenced only while something waits for an answer: an idle helper never keeps the process up.
      if (this.pending.size === 1) child.channel?.ref();
      const req: Request = {
        id,
        file,
        args,
        cwd: opts.cwd,
        env: opts.env,
        maxBuffer: opts.maxBuffer,
        ...(opts.input === undefined ? {} : { input: opts.input }),
      };
      child.send(req, (err) => {
        if (err) this.settle(id, null, new Error(`could not hand ${file} ${args.join(' ')} to the spawn helper: ${err.message}`));
      });
    });
  }

  /** Ends the helper; what it was running finishes on its own, unanswered requests are refused. */
  stop(): void {
    const child = this.child;
    this.child = null;
    if (child?.connected) child.disconnect();
    this.failAll('the spawn helper was stopped');
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(process.execPath, ['-e', PROGRAM], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    child.unref();
    child.channel?.unref();
    child.on('message', (m: HelperRun & { id: number }) => this.settle(m.id, m, null));
    const gone = (why: string) => {
      if (this.child === child) this.child = null;
      this.failAll(why);
    };
    child.on('error', (e) => gone(`the spawn helper failed: ${e.message}`));
    child.on('exit', (code, signal) => gone(`the spawn helper exited (${signal ?? `code ${code}`})`));
    this.child = child;
    return child;
  }

  private settle(id: number, run: HelperRun | null, error: Error | null): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (!this.pending.size) this.child?.channel?.unref();
    if (run) p.resolve({ stdout: run.stdout, stderr: run.stderr, code: run.code, error: run.error });
    else p.reject(error!);
  }

  private failAll(why: string): void {
    for (const [id, p] of [...this.pending]) this.settle(id, null, new Error(`${why}; ${p.what} may or may not have run`));
  }
}
