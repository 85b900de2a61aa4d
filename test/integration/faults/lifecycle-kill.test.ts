import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { inState, screenOf, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';
import {
  expectNothingLost,
  expectOldRunGone,
  killHard,
  processesIn,
  sessionPids,
  startSupervisor,
  storedState,
  takeInventory,
  waitForPause,
  type RunningSupervisor,
} from './harness.js';
import { leaveLooseWork } from './merge-flow.js';

let repo: TempRepo | null = null;
let sup: RunningSupervisor | null = null;
afterEach(async () => {
  sup?.client.close();
  sup = null;
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

function faultRepo(): TempRepo {
  repo = createAgentRepo();
  repo.write('.gitignore', '.env\nnode_modules/\n');
  repo.commitAll('ignore local files');
  return repo;
}

/** The store and the disk agree on a task's worktree: recorded ⇔ present. */
function expectWorktreeRecordTrue(r: TempRepo, id: number, path: string): void {
  const t = storedState(r.dir).tasks.find((x) => x.id === id)!;
  expect(t.worktree === path, `recorded worktree ${t.worktree} vs ${path} on disk: ${existsSync(path)}`).toBe(existsSync(path));
}

describe('kill -9 of the supervisor during dispatch, cancel and gc', () => {
  it('at dispatch, before the worktree is made: the task comes back stalled and a retry starts it', async () => {
    const r = faultRepo();
    sup = await startSupervisor(r.dir, ['dispatch:worktree']);
    const t = await sup.client.call('task.add', { title: 'dispatched', prompt: '@write a.txt a\n@commit a\n@exit 0' });
    await waitForPause(r.dir, 'dispatch:worktree');
    const killed = sup.pid;
    await killHard(sup);
    sup = await startSupervisor(r.dir);
    const stalled = await waitForTask(sup.client, t.id, inState('stalled'), 'stalled after the restart');
    expect(stalled.worktree).toBeNull();
    await expectOldRunGone(killed, []);
    await sup.client.call('task.retry', { id: t.id });
    const done = await waitForTask(sup.client, t.id, inState('review'), 'in review after the retry');
    expect(r.git('log', '--format=%s', done.branch!)).toContain('a');
  });

  it.each(['cancel:archive', 'cancel:record'])('at %s: the agent is gone, its worktree is intact, and cancelling again archives everything', async (step) => {
    const r = faultRepo();
    sup = await startSupervisor(r.dir, [step]);
    const t = await sup.client.call('task.add', { title: 'to cancel', prompt: '@write committed.txt c\n@commit c\n@stay' });
    const running = await waitForTask(sup.client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    const worktree = running.worktree!;
    await waitFor(async () => (await screenOf(sup!.client, t.id)).includes('committed: c'), {
      what: 'the agent to commit',
      describe: () => screenOf(sup!.client, t.id),
    });
    const nested = leaveLooseWork(worktree);
    const before = takeInventory(r, t.id, worktree, nested);
    void sup.client.call('task.cancel', { id: t.id }).catch(() => undefined);
    await waitForPause(r.dir, step);
    const agents = sessionPids(r.dir);
    const killed = sup.pid;
    await killHard(sup);
    await expectOldRunGone(killed, agents);
    // A git the killed supervisor had just started there ends on its own; nothing of the run stays.
    await waitFor(() => processesIn(worktree).length === 0, {
      what: `no process of the old run in ${worktree}`,
      describe: () => describeProcesses(processesIn(worktree)),
    });

    sup = await startSupervisor(r.dir);
    const back = await waitForTask(sup.client, t.id, inState('stalled', 'cancelled'), 'stalled after the restart');
    expect(back.state).toBe('stalled');
    expectWorktreeRecordTrue(r, t.id, worktree);
    expectNothingLost(r, before);
    const cancelled = await sup.client.call('task.cancel', { id: t.id });
    expect(cancelled.reason).toMatch(/work kept at refs\/muster\/archive\/task-1\/\d/);
    const gc = await sup.client.call('gc', { force: false });
    expect(gc).toMatchObject({ removed: [{ path: worktree }], kept: [] });
    expectWorktreeRecordTrue(r, t.id, worktree);
    expectNothingLost(r, before);
  });

  it.each(['gc:archive', 'gc:remove'])('at %s: the worktree is intact and recorded, and the next gc removes it with nothing lost', async (step) => {
    const r = faultRepo();
    sup = await startSupervisor(r.dir, [step]);
    const t = await sup.client.call('task.add', { title: 'collected', prompt: '@write committed.txt c\n@commit c\n@exit 0' });
    const review = await waitForTask(sup.client, t.id, inState('review'), 'in review');
    const worktree = review.worktree!;
    const nested = leaveLooseWork(worktree);
    await sup.client.call('task.cancel', { id: t.id });
    const before = takeInventory(r, t.id, worktree, nested);
    void sup.client.call('gc', { force: false }).catch(() => undefined);
    await waitForPause(r.dir, step);
    const killed = sup.pid;
    await killHard(sup);
    await expectOldRunGone(killed, []);

    sup = await startSupervisor(r.dir);
    expectWorktreeRecordTrue(r, t.id, worktree);
    expect(existsSync(worktree)).toBe(true);
    expectNothingLost(r, before);
    const gc = await sup.client.call('gc', { force: false });
    expect(gc).toMatchObject({ removed: [{ path: worktree }], kept: [] });
    expectWorktreeRecordTrue(r, t.id, worktree);
    expectNothingLost(r, before);
  });
});

function describeProcesses(pids: number[]): string {
  return pids
    .map((pid) => {
      try {
        return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')}`;
      } catch {
        return `${pid}: gone`;
      }
    })
    .join('\n');
}
