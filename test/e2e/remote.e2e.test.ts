import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, muster, musterJson } from '../helpers/cli.js';
import { sshSkipReason, startSshHost, type SshHost } from '../helpers/sshd.js';
import type { TempRepo } from '../helpers/temp-repo.js';
import { MUSTER, useE2e, VIEW_TABS, waitForTaskState, type TaskJson } from './cockpit.js';
import { lastRow, visible } from './tmux.js';
import { waitFor } from '../helpers/wait.js';

const skip = sshSkipReason();
if (skip) console.warn(`skipping the remote cockpit tests: ${skip}`);

const e2e = useE2e();

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-6000);
  } catch (e) {
    return String(e);
  }
}

describe.skipIf(skip !== null)('the cockpit of a repository on another machine (--host, over a real ssh server)', () => {
  let host: SshHost;
  /** Where the operator's shell is: no repository, so nothing local can be shown by mistake. */
  let nowhere: string;

  beforeAll(async () => {
    host = await startSshHost();
    nowhere = realpathSync(mkdtempSync(join(tmpdir(), 'muster-nowhere-')));
  });
  afterAll(() => {
    host?.stop();
    if (nowhere) rmSync(nowhere, { recursive: true, force: true });
  });

  /** Queues a task over ssh, so the remote supervisor is started by the proxy, as on a real host. */
  async function addRemoteTask(repo: TempRepo, title: string, lines: string[]): Promise<TaskJson> {
    const r = await muster(nowhere, ['--host', `${host.alias}:${repo.dir}`, 'task', 'add', title, '--prompt', lines.join('\n'), '--json'], { env: host.env });
    if (r.code !== 0) throw new Error(`task add over ssh exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as TaskJson;
  }

  async function remoteCockpit(repo: TempRepo) {
    const term = await e2e.terminal(nowhere, { env: host.env });
    term.run(`${MUSTER} --host ${host.alias}:${repo.dir}`);
    await term.waitForText([`muster · ${host.alias}:repo · main@`, VIEW_TABS]);
    return term;
  }

  it('shows the live panes, attaches with every key passed through, and approves a merge by key', async () => {
    const repo = e2e.repo();
    await addRemoteTask(repo, 'listener', ['@print ready to listen', '@wait-input', '@print heard it', '@stay']);
    await addRemoteTask(repo, 'feature', ['@write feature.txt made far away', '@commit add feature', '@exit 0']);
    await waitForTaskState(repo, 2, (t) => t.state === 'review', 'in review');
    const before = repo.git('rev-parse', 'main').trim();

    const term = await remoteCockpit(repo);
    await term.waitForText(['#1 · listener · fake', 'waiting for input>', `[${host.alias}:repo (1 running, 1 review)]`]);
    await term.waitForStable();

    term.sendKeys('Enter');
    await term.waitForScreen(
      (s) => s.includes('waiting for input>') && !VIEW_TABS.test(s) && lastRow(s).includes('#1 attached'),
      'the remote agent full-screen with the detach hint',
    );
    term.type('hello over ssh');
    term.sendKeys('Enter');
    await term.waitForText(['got: hello over ssh', 'heard it']);
    term.sendKeys('C-]');
    await term.waitForScreen(
      (s) => VIEW_TABS.test(s) && s.includes('#1 · listener · fake') && s.includes('got: hello over ssh'),
      'the cockpit back after detaching',
    );

    term.sendKeys('5');
    await term.waitForText('#2 feature — muster/2-feature');
    term.sendKeys('y');
    const landed = await term.waitForText(/Landed #2 on main: (\w+) → (\w+)/, { timeout: 40_000 });
    const to = /Landed #2 on main: \w+ → (\w+)/.exec(landed)![1]!;
    const after = repo.git('rev-parse', 'main').trim();
    expect(after).not.toBe(before);
    expect(after.startsWith(to)).toBe(true);
    expect(repo.git('show', 'main:feature.txt')).toBe('made far away\n');
  });

  it('says the connection is lost while the host is unreachable, reconnects by itself, and the agents there kept running', async () => {
    const repo = e2e.repo();
    await addRemoteTask(repo, 'survivor', ['@print still here', '@wait-input', '@print answered after the drop', '@stay']);
    const running = await waitForTaskState(
      repo,
      1,
      (t) => t.state === 'running' && t.sessions.length === 1 && t.sessions[0]!.pid !== null,
      'running, its agent started',
    );
    const agentPid = running.sessions[0]!.pid!;

    const term = await remoteCockpit(repo);
    await term.waitForText(['#1 · survivor · fake', 'waiting for input>']);

    // The host stops answering (its listener frozen) and every open connection is cut.
    process.kill(host.sshdPid, 'SIGSTOP');
    let cut = 0;
    try {
      cut = host.dropConnections();
      await term.waitForText(new RegExp(`Connection to ${host.alias}:repo lost.*retrying`), { timeout: 30_000 });
      await term.waitForText(`${host.alias}:repo (connection lost)`);
    } finally {
      process.kill(host.sshdPid, 'SIGCONT');
    }
    expect(cut).toBeGreaterThan(0);
    // Back by itself: the status line says so and the pane is live again.
    await term.waitForText(`Connection to ${host.alias}:repo is back.`, { timeout: 40_000 });
    await term.waitForText([`[${host.alias}:repo (1 running)]`, '#1 · survivor · fake', 'waiting for input>']);

    const still = (await musterJson<{ tasks: TaskJson[] }>(repo.dir, ['status'])).tasks[0]!;
    if (!isAlive(agentPid)) {
      // How it ended, once the supervisor has seen it: its exit code or signal, and who was left.
      const tree = spawnSync('ps', ['-eo', 'pid,ppid,sid,pgid,stat,etimes,args', '--forest'], { encoding: 'utf8' }).stdout;
      const ended = await waitFor(
        async () => ((await musterJson<{ tasks: TaskJson[] }>(repo.dir, ['status']).catch(() => null))?.tasks[0]?.sessions[0]?.endedAt ? 'ended' : null),
        { timeout: 15_000, what: 'the supervisor to record the end' },
      ).catch((e: unknown) => String(e));
      const after = await musterJson<{ tasks: TaskJson[] }>(repo.dir, ['status']).then(
        (s) => JSON.stringify(s.tasks[0]),
        (e: unknown) => `status failed: ${String(e)}`,
      );
      const log = (f: string) => readLog(join(repo.dir, '.git', 'muster', f));
      expect.fail(
        `the agent on the host (pid ${agentPid}) did not keep running\ntask then: ${JSON.stringify(still)}\n${ended}; task now: ${after}\nsupervisor log:\n${log('daemon.log')}\nevents:\n${log('events.jsonl')}\nagent output:\n${readLog(join(repo.dir, '.git', 'muster', 'tasks', '1', 'terminal.log'))}\nprocesses:\n${tree}`,
      );
    }
    expect(still.state).toBe('running');
    expect(still.sessions).toHaveLength(1);

    // The new link carries keys to it as the old one did.
    await term.waitForStable();
    term.sendKeys('Enter');
    await term.waitForText('#1 attached');
    term.type('after the drop');
    term.sendKeys('Enter');
    const answered = await term.waitForText('answered after the drop');
    expect(answered, visible(answered)).toContain('got: after the drop');
    term.sendKeys('C-]');
    await term.waitForText(VIEW_TABS);
  });

  it('keeps the agents running and says how to come back when the operator quits', async () => {
    const repo = e2e.repo();
    await addRemoteTask(repo, 'long', ['@print working far away', '@stay']);
    const running = await waitForTaskState(
      repo,
      1,
      (t) => t.state === 'running' && t.sessions.length === 1 && t.sessions[0]!.pid !== null,
      'running, its agent started',
    );
    const term = await remoteCockpit(repo);
    await term.waitForText('working far away');
    term.sendKeys('q');
    await term.waitForText('d detach');
    term.sendKeys('d');
    await term.waitForShell();
    expect(isAlive(running.sessions[0]!.pid!)).toBe(true);
  });
});
