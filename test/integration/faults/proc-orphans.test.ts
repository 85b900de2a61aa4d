import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonPid, isAlive, muster, musterJson, stopDaemon, workerPid } from '../../helpers/cli.js';
import {
  createStubbornRepo,
  describeProcs,
  killLeftovers,
  killProcessesUnder,
  recordedProcesses,
  stillAlive,
  type SeenProcess,
  type StubbornRepo,
} from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';

/** The children of `pid` that exited and were never reaped. */
function zombieChildren(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
      .split(' ')
      .filter((c) => c.trim())
      .filter((c) => {
        try {
          return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${c}/stat`, 'utf8'));
        } catch {
          return false;
        }
      })
      .map(Number),
  );
}

type TaskJson = { id: number; state: string; reason: string | null; worktree: string | null };

/**
 * Processes that outlive their owner (issue 10, defect 6): an agent that ignores SIGTERM and
 * SIGHUP, and children it starts with setsid, nohup or a double fork.
 */
describe('processes of a task run', () => {
  let repo: StubbornRepo | null = null;
  const seen: SeenProcess[] = [];
  afterEach(async () => {
    if (repo) await stopDaemon(repo.dir);
    killLeftovers(seen.splice(0));
    if (repo) killProcessesUnder(repo.root);
    repo?.cleanup();
    repo = null;
  });

  async function startStubborn(r: StubbornRepo, prompt: string, names: string[]): Promise<{ id: number; procs: SeenProcess[] }> {
    const t = await musterJson<TaskJson>(r.dir, ['task', 'add', 'stubborn', '--agent', 'stubborn', '--prompt', prompt]);
    const procs = await waitFor(
      () => {
        const p = recordedProcesses(r.pidsDir, t.id);
        return names.every((n) => p.some((x) => x.name === n)) ? p : null;
      },
      { what: `#${t.id}'s processes ${names.join(', ')}`, describe: () => describeProcs(recordedProcesses(r.pidsDir, t.id)) },
    );
    seen.push(...procs);
    return { id: t.id, procs };
  }

  it('cancel stops an agent that ignores SIGTERM and SIGHUP, and what it started with setsid, nohup and a double fork', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(repo, 'spawn_setsid\nspawn_nohup\nspawn_escapee\nstay', ['agent', 'setsid', 'nohup', 'escapee']);
    const r = await muster(repo.dir, ['task', 'cancel', String(id)]);
    expect(r.code, r.stderr).toBe(0);
    // Cancel answers once they are gone: no polling.
    expect(describeProcs(stillAlive(procs))).toBe('(none)');
    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', String(id)])).state).toBe('cancelled');
    // The double-forked one came to the terminal worker (which runs the agents) as subreaper; it is reaped, not left a zombie.
    const worker = workerPid(repo.dir)!;
    await waitFor(() => zombieChildren(worker).length === 0, {
      what: 'no zombie children of the terminal worker',
      describe: () => zombieChildren(worker).join(' '),
    });
  });

  it('takes what an agent left running when it exits on its own', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(
      repo,
      'spawn_setsid\nspawn_nohup\nspawn_escapee\nwhile [ ! -e "$PIDS_DIR/$MUSTER_TASK_ID/escapee" ]; do sleep 0.05; done\nexit 0',
      ['setsid', 'nohup', 'escapee'],
    );
    await waitFor(async () => (await musterJson<TaskJson>(repo!.dir, ['task', 'show', String(id)])).state === 'review', { what: `#${id} in review` });
    await waitFor(() => stillAlive(procs).length === 0, { what: 'the leftovers of the run to be stopped', describe: () => describeProcs(stillAlive(procs)) });
  });

  it('retry after a kill -9 of the supervisor and its terminal worker starts the new agent only once the old run is gone', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(repo, 'spawn_setsid\nspawn_nohup\nstay', ['agent', 'setsid', 'nohup']);
    // The machine's crash, as far as muster can tell: the supervisor and its terminal worker both die.
    const pid = daemonPid(repo.dir)!;
    const worker = workerPid(repo.dir)!;
    process.kill(pid, 'SIGKILL');
    process.kill(worker, 'SIGKILL');
    await waitFor(() => !isAlive(pid) && !isAlive(worker), { what: 'the supervisor and its worker to die' });
    // They outlive the supervisor: this is what the restart must deal with.
    expect(
      stillAlive(procs)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['agent', 'nohup', 'setsid']);

    const retried = await muster(repo.dir, ['task', 'retry', String(id)]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(describeProcs(stillAlive(procs))).toBe('(none)');
    const fresh = await waitFor(
      () => {
        const agent = recordedProcesses(repo!.pidsDir, id).find((p) => p.name === 'agent');
        return agent && agent.pid !== procs.find((p) => p.name === 'agent')!.pid ? agent : null;
      },
      { what: 'the new agent' },
    );
    seen.push(fresh);
    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', String(id)])).state).toBe('running');
  });

  it('gc --force after a kill -9 of the supervisor and its terminal worker leaves no process of the old run, and removes the worktree', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(repo, 'spawn_setsid\nspawn_nohup\nstay', ['agent', 'setsid', 'nohup']);
    // The machine's crash, as far as muster can tell: the supervisor and its terminal worker both die.
    const pid = daemonPid(repo.dir)!;
    const worker = workerPid(repo.dir)!;
    process.kill(pid, 'SIGKILL');
    process.kill(worker, 'SIGKILL');
    await waitFor(() => !isAlive(pid) && !isAlive(worker), { what: 'the supervisor and its worker to die' });

    const gc = await musterJson<{ removed: { task: number }[] }>(repo.dir, ['gc', '--force']);
    expect(describeProcs(stillAlive(procs))).toBe('(none)');
    expect(gc.removed.map((r) => r.task)).toEqual([id]);
    const t = await musterJson<TaskJson>(repo.dir, ['task', 'show', String(id)]);
    expect(t.state).toBe('stalled');
    expect(t.worktree).toBeNull();
  });

  it('after a kill -9 of the supervisor alone the run goes on, and cancel through the new supervisor still stops all of it', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(repo, 'spawn_setsid\nspawn_nohup\nstay', ['agent', 'setsid', 'nohup']);
    const pid = daemonPid(repo.dir)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: 'the supervisor to die' });
    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', String(id)])).state).toBe('running');
    expect(
      stillAlive(procs)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['agent', 'nohup', 'setsid']);
    const r = await muster(repo.dir, ['task', 'cancel', String(id)]);
    expect(r.code, r.stderr).toBe(0);
    expect(describeProcs(stillAlive(procs))).toBe('(none)');
  });

  /** The parent of a process, from /proc. */
  const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

  it("cancel stops what the agent ran as setsid -f env -i bash -c 'cd /; exec sleep 100000', which the terminal worker adopted", async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(repo, 'spawn_away\nstay', ['agent', 'away']);
    const away = procs.find((p) => p.name === 'away')!;
    // What makes it hard: no session, no marker, no working directory of the task's; only the terminal worker as its parent.
    await waitFor(() => parentOf(away.pid) === workerPid(repo!.dir), { what: 'the terminal worker to adopt it' });
    expect(readlinkSync(`/proc/${away.pid}/cwd`)).toBe('/');
    const r = await muster(repo.dir, ['task', 'cancel', String(id)]);
    expect(r.code, r.stderr).toBe(0);
    expect(describeProcs(stillAlive(procs))).toBe('(none)');
  });

  it('takes such a process, holding no terminal, when the agent exits on its own', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(repo, 'spawn_away_quiet\nwhile [ ! -e "$PIDS_DIR/$MUSTER_TASK_ID/away-quiet" ]; do sleep 0.05; done\nexit 0', [
      'away-quiet',
    ]);
    await waitFor(async () => (await musterJson<TaskJson>(repo!.dir, ['task', 'show', String(id)])).state === 'review', { what: `#${id} in review` });
    await waitFor(() => stillAlive(procs).length === 0, { what: 'the escaped process to be stopped', describe: () => describeProcs(stillAlive(procs)) });
  });

  it('a landing stops such a process of an agent still live in review', async () => {
    repo = createStubbornRepo();
    const { id, procs } = await startStubborn(
      repo,
      'spawn_away\nspawn_away_quiet\necho done > done.txt; git add done.txt; git -c user.name=a -c user.email=a@b commit -qm done\nmuster task done --summary done\nstay',
      ['agent', 'away', 'away-quiet'],
    );
    await waitFor(async () => (await musterJson<TaskJson>(repo!.dir, ['task', 'show', String(id)])).state === 'review', { what: `#${id} in review` });
    const r = await muster(repo.dir, ['merge', 'approve', String(id), '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ landed: true });
    expect(describeProcs(stillAlive(procs))).toBe('(none)');
  });

  it('with two agents running, cancel stops the escaped process on its terminal at once; one on no terminal started while both ran goes when the second stops too', async () => {
    repo = createStubbornRepo();
    const b = await startStubborn(repo, 'spawn_away\nstay', ['agent', 'away']);
    const a = await startStubborn(repo, 'spawn_away\nspawn_away_quiet\nstay', ['agent', 'away', 'away-quiet']);
    const [aAway, aQuiet] = ['away', 'away-quiet'].map((n) => a.procs.find((p) => p.name === n)!);
    const bAway = b.procs.find((p) => p.name === 'away')!;
    const cancelA = await muster(repo.dir, ['task', 'cancel', String(a.id)]);
    expect(cancelA.code, cancelA.stderr).toBe(0);
    expect(describeProcs(stillAlive([aAway!]))).toBe('(none)');
    expect(describeProcs(stillAlive([bAway]))).toBe(describeProcs([bAway]));
    // Started while both ran, on no terminal: it could be either's, so it stays while #2 runs.
    expect(describeProcs(stillAlive([aQuiet!]))).toBe(describeProcs([aQuiet!]));
    const cancelB = await muster(repo.dir, ['task', 'cancel', String(b.id)]);
    expect(cancelB.code, cancelB.stderr).toBe(0);
    expect(describeProcs(stillAlive([...a.procs, ...b.procs]))).toBe('(none)');
  });
});
