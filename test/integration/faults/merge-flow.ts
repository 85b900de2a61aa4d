import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';
import {
  expectNothingLost,
  expectOldRunGone,
  expectRecordAgreesWithGit,
  killHard,
  pathsOf,
  sessionPids,
  startSupervisor,
  storedState,
  takeInventory,
  waitForPause,
  type RunningSupervisor,
} from './harness.js';

export function put(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@muster.invalid', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Leaves in a worktree what agents leave and a snapshot must keep: an uncommitted note, an
 * ignored `.env`, ignored dependencies (regenerable, left out), a nested repository without a
 * commit and one with commits and uncommitted work.
 */
export function leaveLooseWork(worktree: string): string[] {
  put(worktree, 'notes.md', 'uncommitted notes\n');
  put(worktree, '.env', 'TOKEN=local\n');
  put(worktree, 'node_modules/dep/index.js', 'regenerable\n');
  put(worktree, 'scaffold/app.ts', 'export {};\n');
  gitIn(join(worktree, 'scaffold'), 'init', '-q');
  put(worktree, 'vendor/lib/lib.c', 'int v = 1;\n');
  gitIn(join(worktree, 'vendor/lib'), 'init', '-q', '-b', 'trunk');
  gitIn(join(worktree, 'vendor/lib'), 'add', '-A');
  gitIn(join(worktree, 'vendor/lib'), 'commit', '-q', '-m', 'nested work');
  put(worktree, 'vendor/lib/lib.c', 'int v = 2;\n');
  return ['scaffold', 'vendor/lib'];
}

export interface MergeCase {
  step: string;
  /** Whether main has moved when the supervisor dies there. */
  landed: boolean;
  /** Whether the restarted supervisor removes the worktree itself (else gc does, later). */
  retiredOnRecovery: boolean;
  undoAfter?: boolean;
  /** Whether the supervisor dies while a snapshot's temporary indexes exist (`/tmp/muster-index-<pid>-*`). */
  midSnapshot?: boolean;
}

/** The temporary snapshot directories of the supervisor `pid`. */
function scratchOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`muster-index-${pid}-`));
}

/**
 * Temp files a writer killed between write and rename leaves, named as the killed supervisor
 * would have named them: a prompt file's and shared-context.md's.
 */
function leaveTempsOf(dir: string, pid: number, task: number): string[] {
  const paths = pathsOf(dir);
  const files = [join(paths.tasksDir, String(task), `.prompt.txt.${pid}.0badf00d.tmp`), join(paths.stateDir, `.shared-context.md.${pid}.0badf00d.tmp`)];
  for (const f of files) writeFileSync(f, 'half written');
  return files;
}

export interface FaultRepo {
  repo: TempRepo;
  sup: RunningSupervisor | null;
}

/**
 * kill -9 of the supervisor at `c.step` of an approval, then a restart: the task ends merged
 * or back in review as git says, the main checkout matches main, nothing of the worktree or
 * of any commit is lost (after gc removes what is left), and no process of the old run lives.
 */
export async function killDuringMerge(ctx: FaultRepo, c: MergeCase): Promise<void> {
  ctx.repo = createAgentRepo({ extra: 'quality_gates:\n  - { name: built, run: "test -f feature.txt" }' });
  const repo = ctx.repo;
  repo.write('.gitignore', '.env\nnode_modules/\n');
  repo.commitAll('ignore local files');
  ctx.sup = await startSupervisor(repo.dir, [c.step]);
  const t = await ctx.sup.client.call('task.add', { title: 'feature', prompt: '@write feature.txt feature\n@commit add feature\n@exit 0', risk: 'low' });
  const review = await waitForTask(ctx.sup.client, t.id, inState('review'), 'in review');
  const worktree = review.worktree!;
  const nested = leaveLooseWork(worktree);
  const before = takeInventory(repo, t.id, worktree, nested);
  const originalTip = repo.git('rev-parse', 'main').trim();

  // The approval dies with the supervisor; its answer never comes.
  void ctx.sup.client.call('merge.approve', { id: t.id }).catch(() => undefined);
  await waitForPause(repo.dir, c.step, () => JSON.stringify(storedState(repo.dir).mergeRun, null, 1));
  const agents = sessionPids(repo.dir);
  const killed = ctx.sup.pid;
  await killHard(ctx.sup);
  expect(scratchOf(killed).length > 0, `temporary indexes of the killed supervisor ${killed}`).toBe(c.midSnapshot === true);
  const temps = leaveTempsOf(repo.dir, killed, t.id);

  ctx.sup = await startSupervisor(repo.dir);
  const client = ctx.sup.client;
  // A start removes what the killed writer left, and only that.
  expect(scratchOf(killed)).toEqual([]);
  // shared-context.md's are removed once the context service starts, which may be after the socket answers.
  await waitFor(() => temps.every((f) => !existsSync(f)), {
    what: 'the temp files of the killed supervisor to be removed',
    describe: () => temps.filter((f) => existsSync(f)).join('\n'),
  });
  // Read from the store file: the durable record is what must agree with git.
  const recorded = () => storedState(repo.dir).tasks.find((x) => x.id === t.id)!;
  const settled = await waitFor(
    () => {
      const task = recorded();
      if (!['merged', 'review'].includes(task.state) || storedState(repo.dir).mergeRun !== null) return null;
      if (task.state === 'merged' && c.retiredOnRecovery && (task.worktree !== null || task.ports !== null) && !/stays/.test(task.reason ?? '')) return null;
      return task;
    },
    { what: `#${t.id} to settle after the restart`, describe: () => JSON.stringify({ task: recorded(), run: storedState(repo.dir).mergeRun }, null, 1) },
  );
  expect(settled.state, settled.reason ?? '').toBe(c.landed ? 'merged' : 'review');
  expectRecordAgreesWithGit(repo, t.id, originalTip);
  await expectOldRunGone(killed, agents);
  if (c.landed) {
    expect(settled.worktree, settled.reason ?? '').toBe(c.retiredOnRecovery ? null : worktree);
    expect(settled.ports, 'a landing releases the port slot').toBeNull();
    const gc = await client.call('gc', { force: false });
    expect(gc.kept).toEqual([]);
    expect(gc.removed.map((r) => r.path)).toEqual(c.retiredOnRecovery ? [] : [worktree]);
  }
  expectNothingLost(repo, before);
  expectRecordAgreesWithGit(repo, t.id, originalTip);

  if (c.undoAfter) {
    // The landing the crash interrupted is the one an undo takes back.
    const undo = await client.call('merge.undo', {});
    expect(undo).toMatchObject({ task: t.id, to: originalTip });
    await waitForTask(client, t.id, inState('review'), 'back in review after the undo');
    expectRecordAgreesWithGit(repo, t.id, originalTip);
    expectNothingLost(repo, before);
  }
  if (!c.landed) {
    // Nothing moved, and the approval can simply be given again.
    const again = await client.call('merge.approve', { id: t.id });
    expect(again.landed).toBe(true);
    expect((await client.call('task.show', { id: t.id })).state).toBe('merged');
    expectNothingLost(repo, before);
  }
}

/**
 * kill -9 of the supervisor at `step` of `merge undo`, then a restart: the record follows git
 * (undone when main is back at the old tip, else still merged) and the checkout follows main.
 */
export async function killDuringUndo(ctx: FaultRepo, step: 'undo:cas' | 'undo:cas-done'): Promise<void> {
  ctx.repo = createAgentRepo();
  const repo = ctx.repo;
  ctx.sup = await startSupervisor(repo.dir, [step]);
  const t = await ctx.sup.client.call('task.add', { title: 'feature', prompt: '@write feature.txt feature\n@commit add feature\n@exit 0', risk: 'low' });
  await waitForTask(ctx.sup.client, t.id, inState('review'), 'in review');
  const originalTip = repo.git('rev-parse', 'main').trim();
  const landed = await ctx.sup.client.call('merge.approve', { id: t.id });
  if (!landed.landed) throw new Error(landed.message);
  const commits = reachableCommitsOf(repo);

  void ctx.sup.client.call('merge.undo', {}).catch(() => undefined);
  await waitForPause(repo.dir, step);
  const killed = ctx.sup.pid;
  await killHard(ctx.sup);
  ctx.sup = await startSupervisor(repo.dir);
  const expected = step === 'undo:cas' ? 'merged' : 'review';
  const state = await waitFor(
    () => {
      const st = storedState(repo.dir);
      return st.tasks.find((x) => x.id === t.id)?.state === expected ? st : null;
    },
    { what: `#${t.id} recorded ${expected} after the restart` },
  );
  const task = state.tasks.find((x) => x.id === t.id)!;
  const tip = repo.git('rev-parse', 'main').trim();
  expect(tip).toBe(step === 'undo:cas' ? landed.to : originalTip);
  expect(
    state.merges.map((m) => m.undone),
    task.reason ?? '',
  ).toEqual([step === 'undo:cas-done']);
  // Recovery records the undo first, then brings the checkout back.
  await waitFor(() => repo.git('--no-optional-locks', 'status', '--porcelain') === '', {
    what: 'the main checkout to match main',
    describe: () => repo.git('status', '--porcelain'),
  });
  await expectOldRunGone(killed, []);
  const after = reachableCommitsOf(repo);
  expect([...commits].filter((c) => !after.has(c))).toEqual([]);
}

function reachableCommitsOf(repo: TempRepo): Set<string> {
  return new Set(repo.git('rev-list', '--all').split('\n').filter(Boolean));
}
