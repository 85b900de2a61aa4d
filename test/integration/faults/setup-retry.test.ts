import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';
import { expectOldRunGone, killHard, processesIn, startSupervisor, waitForPause, type RunningSupervisor } from './harness.js';

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

// Three setup commands that log each run; the second waits for the test's word: a file "go"
// (finish) or "stop" (fail) beside the repository, where it exists before the worktree does.
const SETUP = [
  'echo one >> setup-log.txt',
  'echo two-started >> setup-log.txt; test -f ../../go || { test -f ../../stop && exit 4; sleep 30; }; echo two >> setup-log.txt',
  'echo three >> setup-log.txt',
];

function setupRepo(): TempRepo {
  repo = createAgentRepo({ extra: `worktrees:\n  setup:\n${SETUP.map((c) => `    - ${JSON.stringify(c)}`).join('\n')}` });
  return repo;
}

const log = (worktree: string) => (existsSync(join(worktree, 'setup-log.txt')) ? readFileSync(join(worktree, 'setup-log.txt'), 'utf8') : '');

describe('retry after a setup that did not complete', () => {
  it('runs the failed setup command and the ones after it, not the ones that succeeded', async () => {
    const r = setupRepo();
    sup = await startSupervisor(r.dir);
    const c = sup.client;
    const wt = join(r.root, 'repo.worktrees', 'task-1');
    writeFileSync(join(r.root, 'stop'), '');
    const t = await c.call('task.add', { title: 'setup fails once', prompt: '@print agent ran\n@exit 0' });
    const failed = await waitForTask(c, t.id, inState('failed', 'review'), 'failed by its setup');
    expect(failed.state, failed.reason ?? '').toBe('failed');
    expect(failed.reason).toContain('setup command "echo two-started');
    expect(log(wt)).toBe('one\ntwo-started\n');

    writeFileSync(join(r.root, 'go'), '');
    await c.call('task.retry', { id: t.id });
    await waitForTask(c, t.id, inState('review'), 'in review after the retry');
    expect(log(wt)).toBe('one\ntwo-started\ntwo-started\ntwo\nthree\n');
  });

  it.each([
    ['while a setup command runs', null],
    ['before the second command starts (pause point setup:2)', 'setup:2'],
  ])('after kill -9 of the supervisor %s, the retry runs what did not complete and no setup process of the old run is left', async (_name, pause) => {
    const r = setupRepo();
    sup = await startSupervisor(r.dir, pause ? [pause] : []);
    const wt = join(r.root, 'repo.worktrees', 'task-1');
    const t = await sup.client.call('task.add', { title: 'interrupted setup', prompt: '@print agent ran\n@exit 0' });
    if (pause) await waitForPause(r.dir, pause);
    else await waitFor(() => log(wt).includes('two-started'), { what: 'the second setup command to run', describe: () => log(wt) });
    const killed = sup.pid;
    await killHard(sup);
    await expectOldRunGone(killed, []);
    await waitFor(() => processesIn(wt).length === 0, { what: `no process of the old run in ${wt}`, describe: () => processesIn(wt).join(', ') });

    sup = await startSupervisor(r.dir);
    const c = sup.client;
    const stalled = await waitForTask(c, t.id, inState('stalled'), 'stalled after the restart');
    expect(stalled.worktree).toBe(wt);
    writeFileSync(join(r.root, 'go'), '');
    await c.call('task.retry', { id: t.id });
    await waitForTask(c, t.id, inState('review'), 'in review after the retry');
    expect(log(wt)).toBe(pause ? 'one\ntwo-started\ntwo\nthree\n' : 'one\ntwo-started\ntwo-started\ntwo\nthree\n');
  });
});
