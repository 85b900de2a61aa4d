import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonPid, isAlive, muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createStubbornRepo, killLeftovers, killProcessesUnder, startOf, stillAlive, type SeenProcess, type StubbornRepo } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';

const GATE = resolve(import.meta.dirname, '../../fixtures/gate-probe.sh');

/** Quality gates and a supervisor that dies under them (issue 10, defect 6). */
describe('quality gate processes', () => {
  let repo: StubbornRepo | null = null;
  const seen: SeenProcess[] = [];
  afterEach(async () => {
    if (repo) await stopDaemon(repo.dir);
    killLeftovers(seen.splice(0));
    if (repo) killProcessesUnder(repo.root);
    repo?.cleanup();
    repo = null;
  });

  async function reviewTasks(r: StubbornRepo, env: Record<string, string>, n: number): Promise<void> {
    for (let i = 1; i <= n; i++)
      await musterJson(r.dir, ['task', 'add', `file ${i}`, '--prompt', `@write f${i}.txt ${i}\n@commit add f${i}\n@exit 0`], { env });
    for (let i = 1; i <= n; i++) {
      await waitFor(async () => (await musterJson<{ state: string }>(r.dir, ['task', 'show', String(i)], { env })).state === 'review', {
        what: `#${i} in review`,
      });
    }
  }

  it('never runs two gates at once in the integration worktree: a gate a killed supervisor left is stopped first', async () => {
    repo = createStubbornRepo(`quality_gates:\n  - { name: probe, run: 'sh ${GATE}', timeout: 300 }`);
    const log = join(repo.root, 'gates.log');
    const env = { GATE_LOG: log, GATE_HOLD_TASK: '1' };
    await reviewTasks(repo, env, 2);

    const approving = muster(repo.dir, ['merge', 'approve', '1'], { env });
    const first = await waitFor(() => (existsSync(log) ? /start (\d+) task 1/.exec(readFileSync(log, 'utf8'))?.[1] : null), {
      what: 'the first gate to start',
    });
    const start = startOf(Number(first));
    expect(start, `the first gate ${first} runs`).not.toBeNull();
    const gate: SeenProcess = { name: 'gate', pid: Number(first), start: start! };
    seen.push(gate);
    const pid = daemonPid(repo.dir)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: 'the supervisor to die' });
    expect((await approving).code).toBe(1);
    // The gate ignores SIGTERM, SIGHUP and SIGPIPE: it outlives the supervisor.
    expect(stillAlive([gate])).toHaveLength(1);

    const landed = await musterJson<{ landed: boolean }>(repo.dir, ['merge', 'approve', '2'], { env });
    expect(landed.landed).toBe(true);
    expect(stillAlive([gate])).toEqual([]);
    const text = readFileSync(log, 'utf8');
    expect(text).not.toContain('overlap');
    expect(text).toMatch(/start \d+ task 2\nend \d+\n$/);
  });

  it('stops what a gate leaves running when it ends, even holding the gate output open', async () => {
    repo = createStubbornRepo(`quality_gates:\n  - { name: probe, run: 'sh ${GATE}', timeout: 300 }`);
    const leave = join(repo.root, 'left.pid');
    const env = { GATE_LOG: join(repo.root, 'gates.log'), GATE_LEAVE: leave };
    await reviewTasks(repo, env, 1);
    const landed = await musterJson<{ landed: boolean }>(repo.dir, ['merge', 'approve', '1'], { env });
    expect(landed.landed).toBe(true);
    const left = Number(readFileSync(leave, 'utf8'));
    // Its stat read once: null once it has exited, zombie or reaped (read twice, a zombie reaped in between threw).
    const start = startOf(left);
    if (start) seen.push({ name: 'left', pid: left, start });
    expect(start, `the gate's child ${left} still runs`).toBeNull();
  });
});
