import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { daemonPid, isAlive, muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { sshSkipReason, startAgentHost, stopHostWorkers, type SshHost } from '../../helpers/sshd.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';
import { clientFor, screenOf } from '../../helpers/supervisor.js';

const skip = sshSkipReason();
if (skip) console.warn(`skipping the executor-host tests: ${skip}`);

interface TaskJson {
  id: number;
  state: string;
  reason: string | null;
  host: string | null;
  branch: string | null;
  worktree: string | null;
  sessions: { n: number; pid: number | null }[];
}

/**
 * Agents on another host: the "host" is this machine reached through a real sshd on
 * 127.0.0.1, with its own HOME and work directory; the supervisor reaches it only with ssh
 * (the worker protocol over the channel's stdio) and git over ssh.
 */
describe.skipIf(skip !== null)('tasks on another host (hosts: in the config, over a real ssh server)', () => {
  let host: SshHost;
  let repo: TempRepo | null = null;

  beforeAll(async () => {
    host = await startAgentHost();
  });
  afterAll(() => {
    stopHostWorkers(host);
    host?.stop();
  });
  afterEach(async () => {
    if (!repo) return;
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  });

  function hostRepo(extra = ''): TempRepo {
    repo = createAgentRepo({ maxWorkers: 2, extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 2, dir: work }`, extra].join('\n') });
    return repo;
  }

  const run = (r: TempRepo, args: string[]) => muster(r.dir, args, { env: host.env });
  const show = (r: TempRepo, id: number) => musterJson<TaskJson>(r.dir, ['task', 'show', String(id)], { env: host.env });

  async function add(r: TempRepo, title: string, lines: string[], where: string[] = []): Promise<TaskJson> {
    const out = await run(r, ['task', 'add', title, '--prompt', lines.join('\n'), ...where, '--json']);
    if (out.code !== 0) throw new Error(`task add exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout) as TaskJson;
  }

  /** What to look at when a task does not get where it should: every task, the supervisor's and the host worker's logs, the sshd's. */
  function describe(r: TempRepo): () => Promise<string> {
    return async () => {
      const tasks = await run(r, ['task', 'list', '--json']);
      const logs = [join(r.dir, '.git', 'muster', 'daemon.log'), join(host.remoteHome, 'work', '.muster', 'worker.log')]
        .map((f) => `--- ${f} ---\n${existsSync(f) ? readFileSync(f, 'utf8').slice(-3000) : '(none)'}`)
        .join('\n');
      return `${tasks.stdout}${tasks.stderr}\n${logs}\n--- sshd ---\n${host.log().slice(-2000)}`;
    };
  }

  async function waitForState(r: TempRepo, id: number, pred: (t: TaskJson) => boolean, what: string): Promise<TaskJson> {
    return waitFor(
      async () => {
        const t = await show(r, id);
        return pred(t) ? t : null;
      },
      { timeout: 60_000, what: `#${id} ${what}`, describe: describe(r) },
    );
  }

  it('runs a task there: the agent writes and commits on the host, its branch comes back by git and lands through merge approve and the gates', async () => {
    const r = hostRepo('quality_gates:\n  - { name: far-file, run: "grep -q made-far-away far.txt" }');
    const t = await add(r, 'far feature', ['@write far.txt made-far-away', '@commit add far feature', '@exit 0'], ['--on-host', 'far']);
    expect(t.host).toBe('far');
    const done = await waitForState(r, t.id, (x) => x.state === 'review', 'in review after its agent exited 0 on the host');
    expect(done.worktree).toBeNull();
    // The worktree is on the host, under its work directory; the agent ran there.
    const far = join(host.remoteHome, 'work');
    expect(host.ssh(`ls ${far}`)).toMatch(/\.git/);
    // The branch is here, with the host's commit.
    expect(r.git('log', '-1', '--format=%s', done.branch!).trim()).toBe('add far feature');
    const approve = await run(r, ['merge', 'approve', String(t.id), '--json']);
    expect(approve.code, approve.stderr).toBe(0);
    await waitForState(r, t.id, (x) => x.state === 'merged', 'merged');
    expect(r.git('show', 'main:far.txt').trim()).toBe('made-far-away');
  }, 240_000);

  it('sees uncommitted work on the host as a conflict with a local task, and a dropped connection stalls the task until it comes back', async () => {
    const r = hostRepo();
    const far = await add(r, 'far edit', ['@write shared.txt from the host', '@wait-input', '@print carried on'], ['--on-host', 'far']);
    const near = await add(r, 'near edit', ['@write shared.txt from here', '@wait-input']);
    await waitForState(r, far.id, (x) => x.state === 'running', 'running on the host');
    expect((await show(r, near.id)).host).toBeNull();
    // The host's uncommitted file arrives as refs/muster/wip/<id>, and the scan finds both tasks writing shared.txt differently.
    await waitFor(
      async () => {
        const c = await musterJson<{ tasks: number[]; paths?: string[]; kind: string }[]>(r.dir, ['conflicts'], { env: host.env });
        return c.find((x) => x.tasks.includes(far.id) && x.tasks.includes(near.id) && JSON.stringify(x).includes('shared.txt')) ?? null;
      },
      { timeout: 60_000, what: 'a conflict between the host task and the local one on shared.txt', describe: describe(r) },
    );
    expect(r.git('show', `refs/muster/wip/${far.id}:shared.txt`).trim()).toBe('from the host');
    // Each machine's workers against its own cap: the host's task is not one of this machine's.
    const status = await musterJson<{ workers: unknown }>(r.dir, ['status'], { env: host.env });
    expect(status.workers).toEqual({ running: 1, max: 2, hosts: [{ name: 'far', running: 1, max: 2, reachable: true }] });
    expect((await run(r, ['status'])).stdout).toContain('Workers     1/2 running here · far 1/2');

    // The network drops: the task is stalled, its agent runs on there.
    const before = await show(r, far.id);
    expect(host.dropConnections()).toBeGreaterThan(0);
    // The stall lasts as long as the reconnect's backoff (about a second): read from the audit log, not caught by polling.
    const audit = join(r.dir, '.git', 'muster', 'events.jsonl');
    const stalled = await waitFor(
      () =>
        (existsSync(audit) &&
          readFileSync(audit, 'utf8')
            .split('\n')
            .find((l) => l.includes('"task-stalled"') && l.includes(`"task":${far.id},`))) ||
        null,
      { timeout: 60_000, what: 'the task stalled once its host is unreachable', describe: describe(r) },
    );
    expect(stalled).toMatch(/far unreachable/);
    // Connections come back (the supervisor reconnects with backoff): running again, the same agent answering.
    await waitFor(
      () =>
        readFileSync(audit, 'utf8')
          .split('\n')
          .some((l) => l.includes('"task-resumed"') && l.includes(`"task":${far.id},`))
          ? true
          : null,
      { timeout: 60_000, what: 'the task resumed once the host is back', describe: describe(r) },
    );
    const after = await waitForState(r, far.id, (x) => x.state === 'running', 'running again once the host is back');
    // The same agent, not a new one: no session was started and the pid is the one before the drop.
    const agentOf = (t: TaskJson) => t.sessions.map((x) => ({ n: x.n, pid: x.pid }));
    expect(agentOf(after)).toEqual(agentOf(before));
    const client = await clientFor(r.dir);
    try {
      await client.call('term.input', { task: far.id, data: 'go on\r' });
      await waitFor(
        async () => {
          const screen = await screenOf(client, far.id);
          return screen.includes('carried on') ? screen : null;
        },
        { timeout: 60_000, what: 'the host agent to carry on after the input sent over the new connection', describe: describe(r) },
      );
    } finally {
      client.close();
    }
    await run(r, ['task', 'cancel', String(far.id)]);
    await run(r, ['task', 'cancel', String(near.id)]);
  }, 300_000);

  it('takes the host agent over after the supervisor is killed: stalled, then running with its screen, taking input', async () => {
    const r = hostRepo();
    const far = await add(r, 'far waits', ['@print before the restart', '@wait-input', '@print after the restart'], ['--on-host', 'far']);
    await waitForState(r, far.id, (x) => x.state === 'running', 'running on the host');
    const first = await clientFor(r.dir);
    try {
      await waitFor(
        async () => {
          const screen = await screenOf(first, far.id);
          return screen.includes('before the restart') ? screen : null;
        },
        { timeout: 60_000, what: 'the host agent to print before the restart', describe: describe(r) },
      );
    } finally {
      first.close();
    }
    const before = await show(r, far.id);
    const old = daemonPid(r.dir)!;
    process.kill(old, 'SIGKILL');
    await waitFor(() => !isAlive(old), { what: 'the killed supervisor to be gone' });
    // The next command starts a new supervisor, which finds the agent on the host and takes it over.
    const after = await waitForState(r, far.id, (x) => x.state === 'running' && daemonPid(r.dir) !== old, 'running again under the new supervisor');
    // Taken over, not started again: the same session and pid.
    expect(after.sessions.map((x) => ({ n: x.n, pid: x.pid }))).toEqual(before.sessions.map((x) => ({ n: x.n, pid: x.pid })));
    const client = await clientFor(r.dir);
    try {
      await waitFor(
        async () => {
          const screen = await screenOf(client, far.id);
          return screen.includes('before the restart') ? screen : null;
        },
        { timeout: 60_000, what: 'the host agent screen from before the restart', describe: describe(r) },
      );
      await client.call('term.input', { task: far.id, data: 'go on\r' });
      await waitFor(
        async () => {
          const screen = await screenOf(client, far.id);
          return screen.includes('after the restart') ? screen : null;
        },
        { timeout: 60_000, what: 'the host agent to answer the new supervisor', describe: describe(r) },
      );
    } finally {
      client.close();
    }
    await run(r, ['task', 'cancel', String(far.id)]);
  }, 300_000);
});
