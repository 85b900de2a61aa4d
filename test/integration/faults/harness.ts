import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadStore } from '../../../src/adapters/store/store-load.js';
import type { MusterClient } from '../../../src/client/client.js';
import { connect } from '../../../src/client/connect.js';
import type { MusterState } from '../../../src/core/state.js';
import { musterPaths, type MusterPaths } from '../../../src/paths/muster-paths.js';
import { locateRepo } from '../../../src/paths/repo.js';
import { pauseMarker } from '../../../src/adapters/proc/test-pause.js';
import { BIN, isAlive, testEnv } from '../../helpers/cli.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

/** A supervisor this test started itself, so it can give it `MUSTER_TEST_PAUSE_AT` and kill it. */
export interface RunningSupervisor {
  pid: number;
  exited: Promise<void>;
  client: MusterClient;
}

export function pathsOf(dir: string): MusterPaths {
  return musterPaths(locateRepo(dir));
}

/**
 * Starts `muster daemon` for the repository in its own process group, with the test pause
 * points given (the CLI's auto-start passes no MUSTER_* variable on), and connects to it.
 */
export async function startSupervisor(dir: string, pauseAt: string[] = []): Promise<RunningSupervisor> {
  const paths = pathsOf(dir);
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  const logFile = join(paths.stateDir, 'fault-test.log');
  const log = openSync(logFile, 'a');
  const env = testEnv(pauseAt.length ? { MUSTER_TEST_PAUSE_AT: pauseAt.join(',') } : {});
  const child: ChildProcess = spawn(process.execPath, [BIN, 'daemon'], { cwd: dir, detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the supervisor exited with ${child.exitCode}`);
      return (await connect({ cwd: dir, autostart: false })).client;
    },
    { timeout: 30_000, what: 'the supervisor to answer', describe: () => readFileSync(logFile, 'utf8') },
  );
  return { pid: child.pid!, exited, client };
}

/** Waits until the supervisor stopped at `step`. */
export async function waitForPause(dir: string, step: string, describe?: () => Promise<string> | string): Promise<void> {
  const marker = pauseMarker(pathsOf(dir).stateDir, step);
  await waitFor(() => existsSync(marker), { timeout: 30_000, what: `the supervisor to pause at ${step}`, describe });
}

/** kill -9, and wait until the process is gone (reaped). */
export async function killHard(s: RunningSupervisor): Promise<void> {
  s.client.close();
  process.kill(s.pid, 'SIGKILL');
  await s.exited;
  expect(isAlive(s.pid)).toBe(false);
}

/**
 * The store as the supervisor last made it durable, read the way the next supervisor will:
 * the snapshot with its journal replayed (`state.json` alone lags behind until a snapshot).
 * Reads only; a store this muster would have to migrate is refused rather than rewritten.
 */
export function storedState(dir: string): MusterState {
  const { storeFile, eventsFile } = pathsOf(dir);
  const loaded = loadStore({ storeFile, eventsFile, migrations: {} }, () => null);
  return loaded.state;
}

const blobSha = (content: Buffer): string => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

/** Every file under `root` (symlinks as their target text), path → blob id, `.git` entries and `skip` directory names left out. */
export function filesOnDisk(root: string, skip: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      if (e.name === '.git' || skip.includes(e.name)) continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      const abs = join(root, path);
      if (e.isDirectory()) walk(path);
      else if (e.isSymbolicLink()) out.set(path, blobSha(Buffer.from(readlinkSync(abs))));
      else if (e.isFile()) out.set(path, blobSha(readFileSync(abs)));
    }
  };
  walk('');
  return out;
}

/** The commits of the repository at `dir` (every ref, and every worktree's HEAD). */
export function reachableCommits(repo: TempRepo, cwd = repo.dir): Set<string> {
  const out = repo.git('-C', cwd, 'rev-list', '--all');
  return new Set(out.split('\n').filter(Boolean));
}

/** What a test must find again after the faults: every commit, and every file of a task's worktree. */
export interface Inventory {
  /** Every commit a ref reaches, and every one the worktree's HEAD reflog names (a commit made on a detached HEAD that was left). */
  commits: Set<string>;
  worktree: string;
  task: number;
  files: Map<string, string>;
  /** What the worktree's index holds, `<stage>:<path>` → blob id: staged content may differ from both HEAD and the disk. */
  staged: Map<string, string>;
  /** Commits of repositories nested in the worktree (their refs and HEADs). */
  nestedCommits: string[];
}

/** The commits a worktree's HEAD reflog names (read as git writes it: `<old> <new> …` per line). */
export function reflogCommits(repo: TempRepo, worktree: string): string[] {
  const file = repo.git('-C', worktree, 'rev-parse', '--path-format=absolute', '--git-path', 'logs/HEAD').trim();
  if (!existsSync(file)) return [];
  const ids = readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => l.split(' ', 2))
    .filter((id) => /^[0-9a-f]{40}$/.test(id) && !/^0+$/.test(id));
  return [...new Set(ids)];
}

/** The worktree's index entries, `<stage>:<path>` → blob id (gitlinks left out: a nested repository's commits are counted apart). */
export function stagedEntries(repo: TempRepo, worktree: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of repo.git('-C', worktree, 'ls-files', '--stage', '-z').split('\0').filter(Boolean)) {
    const tab = e.indexOf('\t');
    const [mode, sha, stage] = e.slice(0, tab).split(' ') as [string, string, string];
    if (mode !== '160000') out.set(`${stage}:${e.slice(tab + 1)}`, sha);
  }
  return out;
}

export function takeInventory(repo: TempRepo, task: number, worktree: string, nested: string[] = []): Inventory {
  const nestedCommits = nested.flatMap((n) => {
    const r = repo.git('-C', join(worktree, n), 'for-each-ref', '--format=%(objectname)');
    return r.split('\n').filter(Boolean);
  });
  const commits = reachableCommits(repo);
  for (const c of reflogCommits(repo, worktree)) commits.add(c);
  return { commits, worktree, task, files: filesOnDisk(worktree, ['node_modules']), staged: stagedEntries(repo, worktree), nestedCommits };
}

/**
 * Nothing of `before` is lost: every commit is still reachable from a ref, every commit of a
 * nested repository too (or the repository is still on disk), and every file of the worktree
 * is still on disk unchanged or held by one of the task's archive refs.
 */
export function expectNothingLost(repo: TempRepo, before: Inventory): void {
  const after = reachableCommits(repo);
  expect(
    [...before.commits].filter((c) => !after.has(c)),
    'commits no ref reaches any more',
  ).toEqual([]);
  const stillThere = existsSync(before.worktree) ? filesOnDisk(before.worktree, ['node_modules']) : new Map<string, string>();
  const archives = repo.git('for-each-ref', '--format=%(refname)', `refs/muster/archive/task-${before.task}/`).split('\n').filter(Boolean);
  const archived = new Map<string, Set<string>>();
  for (const ref of archives) {
    for (const line of repo.git('ls-tree', '-r', '--full-tree', ref).split('\n').filter(Boolean)) {
      const [meta, path] = line.split('\t') as [string, string];
      const sha = meta.split(' ')[2]!;
      archived.set(path, (archived.get(path) ?? new Set()).add(sha));
    }
  }
  const lost = [...before.files].filter(([path, sha]) => stillThere.get(path) !== sha && !archived.get(path)?.has(sha)).map(([p]) => p);
  expect(lost, `files of ${before.worktree} neither on disk nor in ${archives.join(', ') || 'any archive ref'}`).toEqual([]);
  // What was staged: still in the worktree's index, or an object some ref reaches.
  const indexNow = existsSync(before.worktree) ? stagedEntries(repo, before.worktree) : new Map<string, string>();
  const kept = new Set(
    repo
      .git('rev-list', '--objects', '--all')
      .split('\n')
      .map((l) => l.slice(0, l.indexOf(' ') < 0 ? undefined : l.indexOf(' '))),
  );
  const unstaged = [...before.staged].filter(([entry, sha]) => indexNow.get(entry) !== sha && !kept.has(sha)).map(([entry]) => entry);
  expect(unstaged, `staged versions of ${before.worktree} neither in its index nor reachable from a ref`).toEqual([]);
  if (!existsSync(before.worktree))
    expect(
      before.nestedCommits.filter((c) => !after.has(c)),
      'commits of nested repositories',
    ).toEqual([]);
}

/** The record agrees with git: the task's state, the landing history and worktree path match the target ref, the checkout and the disk. */
export function expectRecordAgreesWithGit(repo: TempRepo, task: number, originalTip: string): void {
  const state = storedState(repo.dir);
  const t = state.tasks.find((x) => x.id === task)!;
  const tip = repo.git('rev-parse', 'refs/heads/main').trim();
  expect(state.mergeRun, 'no merge run is left open').toBeNull();
  const landing = state.merges.filter((m) => m.task === task && !m.undone).at(-1);
  if (t.state === 'merged') {
    expect(landing?.to, 'the recorded landing is where main is').toBe(tip);
    expect(landing?.from).toBe(originalTip);
  } else {
    expect(t.state).toBe('review');
    expect(landing, 'no landing is recorded').toBeUndefined();
    expect(tip, 'main did not move').toBe(originalTip);
  }
  // The main checkout follows main: index and files at its tip, nothing staged (a landing's
  // files staged as deleted would revert it at the next commit).
  expect(repo.git('status', '--porcelain', '--untracked-files=no'), 'the main checkout matches main').toBe('');
  if (t.worktree) expect(existsSync(t.worktree), `the recorded worktree ${t.worktree} exists`).toBe(true);
}

/** The pids of every agent session the store records: what must be gone once its supervisor was killed. */
export function sessionPids(dir: string): number[] {
  return storedState(dir)
    .tasks.flatMap((t) => t.sessions.map((s) => s.pid))
    .filter((p): p is number => p !== null);
}

/** No process of the killed run is alive: the supervisor and the agent sessions it had started. */
export async function expectOldRunGone(supervisorPid: number, agentPids: number[]): Promise<void> {
  expect(isAlive(supervisorPid)).toBe(false);
  await waitFor(() => agentPids.every((p) => !isAlive(p)), { what: `no agent of the old run alive (${agentPids.join(', ')})` });
}

/** Pids of the processes whose working directory is `dir` or below it (from /proc). */
export function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
