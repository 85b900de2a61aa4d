import { existsSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pauseMarker } from '../../../src/adapters/proc/test-pause.js';
import { isAlive, muster, stopDaemon, workerPid } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { screenOf, task } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';
import { pathsOf, processesIn, startSupervisor, storedState, waitForPause, type RunningSupervisor } from './harness.js';

// The agents run in the terminal worker, which outlives the supervisor: an agent a launch
// starts after its task was stopped has nobody left to stop it.

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

function release(dir: string, step: string): void {
  const marker = pauseMarker(pathsOf(dir).stateDir, step);
  if (existsSync(marker)) unlinkSync(marker);
}

const AGENT = '@write a.txt a\n@stay';

describe('a launch under way when its task is stopped', () => {
  it('muster stop while a launch is about to spawn: no agent starts, the task is stalled, the worker exits', async () => {
    const r = (repo = createAgentRepo());
    sup = await startSupervisor(r.dir, ['dispatch:spawn', 'stop:agents-stopped']);
    const t = await sup.client.call('task.add', { title: 'stopped while launching', prompt: AGENT });
    await waitForPause(r.dir, 'dispatch:spawn');
    const worktree = (await task(sup.client, t.id)).worktree!;
    const stopping = muster(r.dir, ['stop']);
    await waitForPause(r.dir, 'stop:agents-stopped');
    release(r.dir, 'dispatch:spawn');
    // The launch goes on now: it either starts the agent or says it gave up.
    await waitFor(async () => processesIn(worktree).length > 0 || (await screenOf(sup!.client, t.id)).includes('not started'), {
      what: 'the launch to go on',
      describe: () => screenOf(sup!.client, t.id),
    });
    release(r.dir, 'stop:agents-stopped');
    const stopped = await stopping;
    expect(stopped.code, stopped.stderr).toBe(0);
    await sup.exited;
    await waitFor(() => processesIn(worktree).length === 0, {
      what: `no agent left in ${worktree}`,
      describe: () => processesIn(worktree).join(', '),
    });
    const worker = workerPid(r.dir);
    await waitFor(() => worker === null || !isAlive(worker), { what: `the terminal worker ${worker} to exit` });
    const stored = storedState(r.dir).tasks.find((x) => x.id === t.id)!;
    expect(stored.state, JSON.stringify(stored)).toBe('stalled');
  });

  it('cancel while a launch is about to spawn: no agent starts for the cancelled task', async () => {
    const r = (repo = createAgentRepo());
    sup = await startSupervisor(r.dir, ['dispatch:spawn']);
    const t = await sup.client.call('task.add', { title: 'cancelled while launching', prompt: AGENT });
    await waitForPause(r.dir, 'dispatch:spawn');
    const worktree = (await task(sup.client, t.id)).worktree!;
    await sup.client.call('task.cancel', { id: t.id });
    release(r.dir, 'dispatch:spawn');
    await waitFor(async () => processesIn(worktree).length > 0 || (await screenOf(sup!.client, t.id)).includes('not started'), {
      what: 'the launch to go on',
      describe: () => screenOf(sup!.client, t.id),
    });
    await waitFor(() => processesIn(worktree).length === 0, {
      what: `no agent left in ${worktree}`,
      describe: () => processesIn(worktree).join(', '),
    });
    const now = await task(sup.client, t.id);
    expect(now.state).toBe('cancelled');
    expect(now.sessions.at(-1)?.pid ?? null, JSON.stringify(now.sessions)).toBeNull();
  });

  it('cancel and retry while a launch is about to spawn: only the retry starts an agent, the superseded launch gives up', async () => {
    const r = (repo = createAgentRepo());
    sup = await startSupervisor(r.dir, ['dispatch:spawn']);
    const t = await sup.client.call('task.add', { title: 'retried while launching', prompt: AGENT });
    await waitForPause(r.dir, 'dispatch:spawn');
    const worktree = (await task(sup.client, t.id)).worktree!;
    await sup.client.call('task.cancel', { id: t.id });
    await sup.client.call('task.retry', { id: t.id });
    // The retry's own launch: running again, as its second session.
    await waitFor(async () => (await task(sup!.client, t.id)).sessions.length === 2, { what: 'the retry to be dispatched' });
    // The first launch goes on now (before the fix it started an agent of its own); the retry's
    // launch stops at the same point, now or later, and goes on once released again.
    const marker = pauseMarker(pathsOf(r.dir).stateDir, 'dispatch:spawn');
    release(r.dir, 'dispatch:spawn');
    await waitFor(
      async () => {
        if (existsSync(marker)) release(r.dir, 'dispatch:spawn');
        return (await task(sup!.client, t.id)).sessions.at(-1)?.pid != null;
      },
      { what: "the retry's agent to start", describe: () => screenOf(sup!.client, t.id) },
    );
    await waitFor(async () => processesIn(worktree).length > 1 || (await screenOf(sup!.client, t.id)).includes('not started'), {
      what: 'the first launch to give up or start an agent',
      describe: async () => `${processesIn(worktree).join(', ')}\n${await screenOf(sup!.client, t.id)}`,
    });
    const now = await task(sup.client, t.id);
    expect(now.state, now.reason ?? '').toBe('running');
    expect(processesIn(worktree), `processes in ${worktree}; screen:\n${await screenOf(sup.client, t.id)}`).toEqual([now.sessions.at(-1)!.pid]);
    expect(await screenOf(sup.client, t.id)).toContain('not started');
  });
});
