import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
  const file = join(repoDir, '.git', 'muster', 'daemon.lock');
  if (!existsSync(file)) return null;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
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

/** Stops a test repository's supervisor for sure: politely, then by signal. */
export async function stopDaemon(repoDir: string): Promise<void> {
  const pid = daemonPid(repoDir);
  spawnSync(process.execPath, [BIN, 'stop'], { cwd: repoDir, env: testEnv(), timeout: 20_000 });
  if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
}
