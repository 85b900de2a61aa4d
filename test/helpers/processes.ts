import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FAKE_AGENT } from './agent-repo.js';
import { createTempRepo, type TempRepo } from './temp-repo.js';

export const STUBBORN_AGENT = resolve(import.meta.dirname, '../fixtures/stubborn-agent.sh');

export interface StubbornRepo extends TempRepo {
  /** Where the stubborn agent's processes write their pids: `<pidsDir>/<task>/<name>`. */
  pidsDir: string;
}

/**
 * A temp repo with the fake agent (`fake`, the default) and the stubborn one (`stubborn`:
 * ignores SIGTERM and SIGHUP, runs its prompt as a bash script), a 2 s stop grace, and any
 * extra YAML.
 */
export function createStubbornRepo(extra = ''): StubbornRepo {
  const repo = createTempRepo();
  const pidsDir = join(repo.root, 'pids');
  mkdirSync(pidsDir);
  const base = 30000 + Math.floor(Math.random() * 300) * 100;
  repo.write(
    '.muster/config.yaml',
    [
      'agents:',
      `  fake: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FAKE_AGENT)}, "{prompt_file}"] }`,
      `  stubborn: { command: /bin/bash, args: [${JSON.stringify(STUBBORN_AGENT)}, "{prompt_file}"], env: { PIDS_DIR: ${JSON.stringify(pidsDir)} } }`,
      'default_agent: fake',
      `ports: { base: ${base}, block: 5, slots: 12 }`,
      'terminal: { stop_grace_seconds: 2 }',
      extra,
    ].join('\n'),
  );
  repo.commitAll('muster config');
  return { ...repo, pidsDir };
}

/** A process as the test first saw it: a pid and its start time, so a reused pid is not it. */
export interface SeenProcess {
  name: string;
  pid: number;
  start: string;
}

/** A live process's start time (boot clock ticks), or null when it is gone or a zombie. */
export function startOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its record waits to be reaped.
    return f[0] === 'Z' || f[0] === 'X' ? null : (f[19] ?? null);
  } catch {
    return null;
  }
}

/** The processes a task's stubborn agent recorded (those alive now). */
export function recordedProcesses(pidsDir: string, task: number): SeenProcess[] {
  const dir = join(pidsDir, String(task));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.endsWith('.tmp'))
    .flatMap((name) => {
      const pid = Number(readFileSync(join(dir, name), 'utf8'));
      const start = startOf(pid);
      return start ? [{ name, pid, start }] : [];
    });
}

/** Which of these processes still run (a zombie does not). */
export function stillAlive(procs: readonly SeenProcess[]): SeenProcess[] {
  return procs.filter((p) => startOf(p.pid) === p.start);
}

/** Test cleanup: SIGKILL whatever of these is left, so a failing test leaks nothing. */
export function killLeftovers(procs: readonly SeenProcess[]): void {
  for (const p of stillAlive(procs)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export function describeProcs(procs: readonly SeenProcess[]): string {
  return procs.map((p) => `${p.name}=${p.pid}`).join(' ') || '(none)';
}

/**
 * Test cleanup for a test that failed half-way: SIGKILL every process whose environment or
 * working directory names this test's temp directory (never anything else).
 */
export function killProcessesUnder(root: string): void {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let env = '';
    let cwd = '';
    try {
      env = readFileSync(`/proc/${name}/environ`, 'utf8');
    } catch {
      // gone or not ours
    }
    try {
      cwd = readlinkSync(`/proc/${name}/cwd`);
    } catch {
      // gone or not ours
    }
    if (!env.includes(`${root}/`) && !cwd.startsWith(`${root}/`)) continue;
    try {
      process.kill(Number(name), 'SIGKILL');
    } catch {
      // gone
    }
  }
}
