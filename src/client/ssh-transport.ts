import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { shortRuntimeDir } from '../paths/muster-paths.js';
import { MusterError } from '../protocol/errors.js';
import { shellWord } from '../core/shell-word.js';
import { formatRemoteTarget, type RemoteTarget } from './remote-target.js';

// child_process and fs are loaded when a remote is used: local commands do not pay for them.
const lazy = createRequire(import.meta.url);
const childProcess = () => lazy('node:child_process') as typeof import('node:child_process');

/** `muster proxy` exits with this when asked not to start a supervisor and none runs (EX_UNAVAILABLE). */
export const EXIT_NOT_RUNNING = 69;

/** ssh's own failures (connection, authentication, host key) exit 255; a missing remote command 127. */
const SSH_FAILED = 255;
const COMMAND_NOT_FOUND = 127;

export interface SshOptions {
  /** Start the remote supervisor when none runs (default true). */
  start?: boolean;
  /**
   * May ssh ask on the terminal (a passphrase, a new host key)? Not while the cockpit owns the
   * terminal: reconnects run with BatchMode and fail fast instead.
   */
  interactive?: boolean;
  /** The command that runs muster on the remote host; default `MUSTER_REMOTE_COMMAND` or `muster`. */
  remoteCommand?: string;
  /** How ssh is run locally; default `MUSTER_SSH_COMMAND` (a shell string, like GIT_SSH_COMMAND) or `ssh`. */
  sshCommand?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * What muster runs there (default `proxy [--cwd <path>] [--no-start]`). Any stdio bridge that
   * speaks the protocol fits: a `muster worker` for executors on other hosts rides the same way.
   */
  musterArgs?: string[];
}

/** The remote command line, `muster proxy --cwd <path>` by default, quoted for the remote shell. */
export function remoteProxyCommand(target: RemoteTarget, opts: SshOptions = {}): string {
  const env = opts.env ?? process.env;
  const muster = opts.remoteCommand ?? (env.MUSTER_REMOTE_COMMAND || 'muster');
  const args = opts.musterArgs ?? ['proxy', ...(target.path !== null ? ['--cwd', target.path] : []), ...(opts.start === false ? ['--no-start'] : [])];
  return [muster, ...args.map(shellWord)].join(' ');
}

/**
 * Runs ssh: the plain `ssh` binary with an argument vector, or the user's `MUSTER_SSH_COMMAND`
 * through `sh -c` with the arguments appended, the way git runs GIT_SSH_COMMAND.
 */
function spawnSsh(args: string[], opts: SshOptions, stdio: ('pipe' | 'ignore' | 'inherit')[]): ChildProcess {
  const env = opts.env ?? process.env;
  const custom = opts.sshCommand ?? env.MUSTER_SSH_COMMAND;
  const { spawn } = childProcess();
  if (custom) return spawn('/bin/sh', ['-c', `${custom} "$@"`, 'ssh', ...args], { stdio, env });
  return spawn('ssh', args, { stdio, env });
}

/**
 * Connection reuse: one TCP connection and one authentication per host for every command and
 * reconnect within a minute (ControlMaster). Added only when the user's ssh config says nothing
 * about it for this host (`ssh -G`), and not at all with `MUSTER_SSH_CONTROL=no`.
 */
async function controlOptions(host: string, opts: SshOptions): Promise<string[]> {
  const env = opts.env ?? process.env;
  if (env.MUSTER_SSH_CONTROL === 'no') return [];
  const dir = controlDir();
  if (!dir) return [];
  const effective = await new Promise<string>((resolve) => {
    const child = spawnSsh(['-G', '--', host], opts, ['ignore', 'pipe', 'ignore']);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', () => resolve(''));
    child.on('close', (code) => resolve(code === 0 ? out : ''));
  });
  if (!effective) return [];
  const setting = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(effective)?.[1]?.trim();
  const master = setting('controlmaster');
  const path = setting('controlpath');
  if ((master && master !== 'false') || (path && path !== 'none')) return [];
  return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${dir}/%C`, '-o', 'ControlPersist=60'];
}

/**
 * `<runtime dir>/muster-<uid>/ssh`, mode 0700 and ours, or null: a control socket in a
 * directory another user can write to would let them ride our connection.
 */
function controlDir(): string | null {
  const { mkdirSync, statSync } = lazy('node:fs') as typeof import('node:fs');
  const dir = `${shortRuntimeDir()}/ssh`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const uid = process.getuid?.();
    for (const d of [shortRuntimeDir(), dir]) {
      const st = statSync(d);
      if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return null;
    }
    return dir;
  } catch {
    return null;
  }
}

/** The ssh command line for one connection to `muster proxy` on the target (for logs and tests). */
export async function sshArgs(target: RemoteTarget, opts: SshOptions = {}): Promise<string[]> {
  return [
    '-T',
    // A reconnect must fail, not hang, when the host accepts but does not answer.
    ...(opts.interactive === false ? ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10'] : []),
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=3',
    ...(await controlOptions(target.host, opts)),
    '--',
    target.host,
    remoteProxyCommand(target, opts),
  ];
}

/**
 * Opens `ssh host muster proxy` and returns its stdio as one stream carrying the supervisor's
 * newline-delimited JSON. When ssh ends, the stream ends; if it ended badly, the stream is
 * destroyed with an error that says why, in words (ssh's own message, a missing remote
 * `muster`, the remote muster's message).
 */
export async function openSshStream(target: RemoteTarget, opts: SshOptions = {}): Promise<Duplex> {
  const args = await sshArgs(target, opts);
  const child = spawnSsh(args, opts, ['pipe', 'pipe', 'pipe']);
  return new SshStream(child, target, remoteProxyCommand(target, opts));
}

/** One ssh child process as a duplex stream: its stdout read, its stdin written. */
class SshStream extends Duplex {
  private stderr = '';

  constructor(
    private readonly child: ChildProcess,
    private readonly target: RemoteTarget,
    private readonly remoteCommand: string,
  ) {
    super();
    const out = child.stdout!;
    const input = child.stdin!;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      // Only the tail is kept: it carries the reason when ssh or the remote muster fails.
      this.stderr = (this.stderr + d).slice(-4096);
    });
    out.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) out.pause();
    });
    // A write after ssh went away fails with EPIPE; the exit status explains it better.
    input.on('error', () => undefined);
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      const err = spawnError
        ? new MusterError(
            'failure',
            `Could not run ssh to reach ${formatRemoteTarget(this.target)}: ${spawnError.message}. Install OpenSSH's client, or set MUSTER_SSH_COMMAND.`,
          )
        : this.failure(code, signal);
      // Everything ssh printed is handed on before the stream reports how it ended.
      this.push(null);
      if (this.readableEnded || this.readableLength === 0) this.destroy(err ?? undefined);
      else this.once('end', () => this.destroy(err ?? undefined));
    });
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    const input = this.child.stdin;
    if (!input || input.destroyed) return cb();
    if (input.write(chunk, encoding)) cb();
    else input.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin?.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    cb(err);
  }

  private failure(code: number | null, signal: NodeJS.Signals | null): MusterError | null {
    const where = formatRemoteTarget(this.target);
    const said = this.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const last = said.at(-1)?.replace(/^muster: /, '') ?? '';
    if (code === 0) return null;
    if (signal) return new MusterError('failure', `The connection to ${where} was lost (ssh ended by ${signal}).`);
    if (code === COMMAND_NOT_FOUND) {
      return new MusterError(
        'failure',
        `muster was not found on ${this.target.host}: the remote shell could not run "${this.remoteCommand}"${last ? ` (${last})` : ''}. ` +
          `Install muster there so that non-interactive ssh sessions find it on PATH (ssh ${this.target.host} 'command -v muster' tells), ` +
          `or set MUSTER_REMOTE_COMMAND to the command that runs it there, e.g. MUSTER_REMOTE_COMMAND='node ~/muster/bin/muster.js'.`,
      );
    }
    if (code === SSH_FAILED)
      return new MusterError(
        'failure',
        `ssh to ${this.target.host} failed${last ? `: ${last.replace(/\.$/, '')}` : ''}. Check that "ssh ${this.target.host}" works on its own.`,
      );
    if (code === EXIT_NOT_RUNNING) return new RemoteNotRunningError(where);
    const message =
      said
        .filter((l) => l.startsWith('muster: '))
        .map((l) => l.slice(8))
        .join('\n') ||
      last ||
      `the remote muster exited with code ${code}`;
    return new MusterError(code === 2 ? 'bad-input' : code === 3 ? 'conflict' : 'failure', `${where}: ${message}`);
  }
}

/** `muster proxy --no-start` found no supervisor for the remote repository. */
export class RemoteNotRunningError extends MusterError {
  constructor(readonly where: string) {
    super('failure', `No muster supervisor is running for ${where}.`);
    this.name = 'RemoteNotRunningError';
  }
}
