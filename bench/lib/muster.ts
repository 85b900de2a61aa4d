import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, daemonPid, muster, musterJson, stopDaemon, testEnv, workerPid } from '../../test/helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../test/helpers/temp-repo.js';
import { DAEMON_NODE_FLAGS } from '../../src/client/connect.js';
import { WORKER_NODE_FLAGS } from '../../src/adapters/worker/worker-client.js';
import type { Cleanup } from './cleanup.js';
import { descendants, isAlive } from './proc.js';
import { until } from './stats.js';

export { BIN, daemonPid, muster, musterJson, testEnv, workerPid };

/** An agent preset of `.muster/config.yaml`. */
export interface Preset {
  command: string;
  args: string[];
}

/** The task fields the benchmarks read from `--json`. */
export interface TaskJson {
  id: number;
  state: string;
  reason: string | null;
  worktree: string | null;
  sessions: { pid: number | null; endedAt: string | null }[];
}

/**
 * A temp git repository with a muster config of the given agent presets, registered for
 * cleanup: its supervisor is stopped (agents get SIGTERM, then SIGKILL), anything still
 * running from its directory is killed by pid, and the directory is removed.
 */
export function benchRepo(
  cleanup: Cleanup,
  opts: { agents: Record<string, Preset>; defaultAgent: string; maxWorkers: number; slots?: number; repo?: TempRepo; extraConfig?: string[] },
): TempRepo {
  const repo = opts.repo ?? createTempRepo();
  cleanup.defer(`remove ${repo.root}`, () => repo.cleanup());
  cleanup.defer(`stop the supervisor of ${repo.dir}`, () => stopSupervisor(repo));
  const slots = opts.slots ?? Math.max(32, opts.maxWorkers + 4);
  // A port range of its own, below the ephemeral range: slots × 2 ports from a random base, away from the test suite's 30000+.
  const base = 22000 + Math.floor(Math.random() * 70) * 100;
  const presets = Object.entries(opts.agents).map(([name, p]) => `  ${name}: { command: ${JSON.stringify(p.command)}, args: ${JSON.stringify(p.args)} }`);
  repo.write(
    '.muster/config.yaml',
    [
      'agents:',
      ...presets,
      `default_agent: ${opts.defaultAgent}`,
      `parallel: { max_workers: ${opts.maxWorkers} }`,
      `ports: { base: ${base}, block: 2, slots: ${slots} }`,
      'terminal: { stop_grace_seconds: 1 }',
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  repo.commitAll('muster config');
  return repo;
}

/** Stops a repository's supervisor, then kills (by pid) any agent process it left behind. */
export async function stopSupervisor(repo: TempRepo): Promise<void> {
  const pid = daemonPid(repo.dir);
  const agents = pid ? descendants(pid) : [];
  if (pid) {
    // `muster stop` returns once the socket closes; give the process time to exit on its own
    // (and write its CPU profile) before stopDaemon's SIGKILL fallback.
    await muster(repo.dir, ['stop']);
    await until(() => !isAlive(pid), 'the supervisor to exit', 10_000, 50).catch(() => undefined);
  }
  // A profiled worker writes its profile when it exits, by itself or on SIGTERM (not stopDaemon's SIGKILL).
  const worker = profiling.dir ? workerPid(repo.dir) : null;
  if (worker && isAlive(worker)) {
    await until(() => !isAlive(worker), 'the terminal worker to exit', 3_000, 50).catch(() => process.kill(worker, 'SIGTERM'));
    await until(() => !isAlive(worker), 'the terminal worker to exit', 10_000, 50).catch(() => undefined);
  }
  await stopDaemon(repo.dir);
  for (const p of agents) if (isAlive(p)) process.kill(p, 'SIGKILL');
}

/**
 * Where CPU profiles go (`--profile <dir>`): supervisors and TUIs started by the benchmarks
 * then run with `--cpu-prof` and write a .cpuprofile when they exit.
 */
export const profiling: { dir: string | null } = { dir: null };

/** Node options that make a process write its CPU profile into `<profiling dir>/<what>/`. */
export function profileFlags(what: string): string[] {
  return profiling.dir ? ['--cpu-prof', `--cpu-prof-dir=${join(profiling.dir, what)}`] : [];
}

/** Starts the repository's supervisor (any command does) and returns its pid. */
export async function startSupervisor(dir: string, what = 'supervisor', env: Record<string, string> = {}): Promise<number> {
  if (profiling.dir) {
    // --cpu-prof is refused in NODE_OPTIONS: start `muster daemon` ourselves, detached as a
    // client would, with the flag on its command line.
    mkdirSync(join(dir, '.git', 'muster'), { recursive: true });
    // The terminal worker too: the supervisor takes one that already answers on its socket.
    const workerLog = openSync(join(dir, '.git', 'muster', 'worker.log'), 'a');
    spawn(process.execPath, [...profileFlags(`${what}-worker`), ...WORKER_NODE_FLAGS, BIN, 'worker'], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', workerLog, workerLog],
      env: testEnv(env),
    }).unref();
    closeSync(workerLog);
    await until(() => workerPid(dir), 'the profiled terminal worker', 15_000);
    const log = openSync(join(dir, '.git', 'muster', 'daemon.log'), 'a');
    spawn(process.execPath, [...profileFlags(what), ...DAEMON_NODE_FLAGS, BIN, 'daemon'], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', log, log],
      env: testEnv(env),
    }).unref();
    closeSync(log);
    await until(() => existsSync(join(dir, '.git', 'muster', 'daemon.sock')), 'the profiled supervisor socket', 15_000);
  }
  const r = await muster(dir, ['status', '--json'], { env });
  if (r.code !== 0) throw new Error(`muster status failed (${r.code}): ${r.stderr}`);
  return until(() => daemonPid(dir), 'the supervisor lock file', 10_000);
}

/** `onHost`: on that host of the config (hosts:). */
export async function addTask(dir: string, title: string, opts: { agent?: string; prompt?: string; onHost?: string } = {}): Promise<TaskJson> {
  return musterJson<TaskJson>(dir, [
    'task',
    'add',
    title,
    '--prompt',
    opts.prompt ?? title,
    ...(opts.agent ? ['--agent', opts.agent] : []),
    ...(opts.onHost ? ['--on-host', opts.onHost] : []),
  ]);
}

export async function listTasks(dir: string): Promise<TaskJson[]> {
  return musterJson<TaskJson[]>(dir, ['task', 'list']);
}

/** Waits until `ids` are all running with a live agent process. */
export async function waitRunning(dir: string, ids: number[], timeoutMs = 60_000): Promise<TaskJson[]> {
  let last: TaskJson[] = [];
  try {
    return await until(
      async () => {
        last = await listTasks(dir);
        const mine = last.filter((t) => ids.includes(t.id));
        return mine.length === ids.length && mine.every((t) => t.state === 'running' && t.sessions.at(-1)?.pid) ? mine : null;
      },
      `tasks ${ids.join(', ')} running`,
      timeoutMs,
      150,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${JSON.stringify(last.map((t) => ({ id: t.id, state: t.state, reason: t.reason })))}`);
  }
}

/** Lines of the repository's audit log. */
export function auditEvents(dir: string): { kind: string; details: Record<string, unknown> }[] {
  const file = join(dir, '.git', 'muster', 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; details: Record<string, unknown> });
}

/** `git` in a directory, stdout as text. */
export function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
