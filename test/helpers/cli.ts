import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MusterClient } from '../../src/client/client.js';
import { connect } from '../../src/client/connect.js';
import { startOf } from './processes.js';

export const BIN = resolve(import.meta.dirname, '../../bin/muster.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment every test command runs with: no inherited MUSTER_* from the caller. */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MUSTER_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs the real `muster` binary and collects its output. */
export function muster(cwd: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: testEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export async function musterJson<T = unknown>(cwd: string, args: string[], opts: { env?: Record<string, string> } = {}): Promise<T> {
  const r = await muster(cwd, [...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`muster ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The pid recorded in the repository's supervisor lock file, if any. */
export function daemonPid(repoDir: string): number | null {
  return daemonHolder(repoDir)?.pid ?? null;
}

/** The supervisor the lock file names: its pid and start time. */
function daemonHolder(repoDir: string): { pid: number; startTime: string | null } | null {
  const file = join(repoDir, '.git', 'muster', 'daemon.lock');
  if (!existsSync(file)) return null;
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; startTime?: string | null };
    return { pid: h.pid, startTime: h.startTime ?? null };
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of a test repository's terminal worker (`muster worker`), as it wrote it, or null. */
export function workerPid(repoDir: string): number | null {
  const file = join(repoDir, '.git', 'muster', 'worker.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Stops a test repository's supervisor for sure: politely, then by signal; and its terminal worker (with the agents in it). */
export async function stopDaemon(repoDir: string): Promise<void> {
  const holder = daemonHolder(repoDir);
  await stopPolitely(repoDir);
  // A lock left by a killed supervisor names a pid that may belong to another process by now
  // (the suite goes through 32,768 pids in minutes): only the same process is killed.
  if (holder && holder.startTime !== null && startOf(holder.pid) === holder.startTime) process.kill(holder.pid, 'SIGKILL');
  const worker = workerPid(repoDir);
  if (worker && isWorkerOf(worker, repoDir)) process.kill(worker, 'SIGKILL');
}

/**
 * What `muster stop` does, from this process: every test ends with it, and a node start of
 * the CLI for each one added up to minutes of a loaded 2-core machine. Asks the supervisor to
 * stop and waits until it hangs up, for at most 20 s (the caller then kills what is left).
 */
async function stopPolitely(repoDir: string): Promise<void> {
  let client: MusterClient | null = null;
  let timer: NodeJS.Timeout | undefined;
  const stop = (async () => {
    try {
      ({ client } = await connect({ cwd: repoDir, autostart: false }));
    } catch {
      return; // none runs (or the repository is gone): nothing to ask
    }
    const c = client;
    const gone = new Promise<void>((resolve) => c.onDisconnect(resolve));
    await c.call('daemon.stop', {}).catch(() => undefined);
    await gone;
  })();
  await Promise.race([stop, new Promise<void>((resolve) => (timer = setTimeout(resolve, 20_000)))]);
  clearTimeout(timer);
  (client as MusterClient | null)?.close();
}

/** Whether `pid` is still this repository's terminal worker (its pid file outlives it, and pids are reused). */
function isWorkerOf(pid: number, repoDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('worker') && argv.some((a) => a.endsWith('muster.js')) && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(repoDir);
  } catch {
    return false;
  }
}
