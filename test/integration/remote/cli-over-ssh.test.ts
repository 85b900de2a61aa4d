import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { connectRemote } from '../../../src/client/remote-connect.js';
import { daemonPid, isAlive, muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { sshSkipReason, startSshHost, type SshHost } from '../../helpers/sshd.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

const skip = sshSkipReason();
if (skip) console.warn(`skipping the ssh tests: ${skip}`);

interface StatusJson {
  repo: string;
  daemon: { pid: number };
  tasks: { id: number; title: string; state: string }[];
  locks: { resource: string; owner: { task?: number; pid?: number } }[];
}

describe.skipIf(skip !== null)('commands with --host, over a real ssh server', () => {
  let host: SshHost;
  let remote: TempRepo;
  /** A directory on "this" machine with no repository: nothing here may count. */
  let here: TempRepo;

  beforeAll(async () => {
    host = await startSshHost();
  });
  afterAll(() => host?.stop());
  beforeEach(() => {
    remote = createTempRepo('remote-repo');
    here = createTempRepo('local-repo');
  });
  afterEach(async () => {
    await stopDaemon(remote.dir);
    await stopDaemon(here.dir);
    remote.cleanup();
    here.cleanup();
  });

  const target = () => `${host.alias}:${remote.dir}`;
  const run = (args: string[], env: Record<string, string> = {}, cwd = here.dir) =>
    muster(cwd, ['--host', target(), ...args], { env: { ...host.env, ...env } });

  it('starts the remote supervisor through muster proxy and reports its status, as status --json there does', async () => {
    const r = await run(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const overSsh = JSON.parse(r.stdout) as StatusJson;
    expect(overSsh.repo).toBe(remote.dir);
    const there = await musterJson<StatusJson>(remote.dir, ['status']);
    expect(overSsh.daemon.pid).toBe(there.daemon.pid);
    expect(daemonPid(remote.dir)).toBe(there.daemon.pid);
    // The local repository we ran it from got no supervisor.
    expect(daemonPid(here.dir)).toBeNull();
  });

  it('adds a task to the remote repository, audited as the operator whatever the local task and directory say', async () => {
    mkdirSync(join(here.dir, 'sub'));
    const r = await run(['task', 'add', 'remote work', '--risk', 'low', '--json'], { MUSTER_TASK_ID: '1' }, join(here.dir, 'sub'));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 1, title: 'remote work' });
    const there = await musterJson<StatusJson>(remote.dir, ['status']);
    expect(there.tasks.map((t) => t.title)).toEqual(['remote work']);
    const events = readFileSync(join(remote.dir, '.git', 'muster', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; actor: string });
    expect(events.find((e) => e.kind === 'task-added')?.actor).toMatch(/^operator/);
  });

  it('refuses a lock another owner holds with exit 3 and names the holder, over ssh as locally', async () => {
    await muster(remote.dir, ['pause']);
    await musterJson(remote.dir, ['task', 'add', 'holder', '--risk', 'low']);
    expect((await muster(remote.dir, ['lock', 'acquire', 'src/auth/**', '--task', '1'])).code).toBe(0);

    const r = await run(['lock', 'acquire', 'src/auth/login.ts', '--json'], { MUSTER_TASK_ID: '1' });
    expect(r.code, r.stderr).toBe(3);
    const body = JSON.parse(r.stdout) as { granted: boolean; conflicts: { resource: string; holder: { task?: number } }[] };
    expect(body).toMatchObject({ granted: false, conflicts: [{ resource: 'src/auth/login.ts', holder: { task: 1 } }] });

    // Paths are the repository's, not relative to where the local command ran; the lock is the
    // operator's and stays after the command (and its ssh session) ended.
    const ok = await run(['lock', 'acquire', 'docs/guide.md'], {}, join(here.dir));
    expect(ok.code, ok.stderr).toBe(0);
    const locks = await musterJson<StatusJson['locks']>(remote.dir, ['lock', 'list']);
    expect(locks.find((l) => l.resource === 'docs/guide.md')?.owner).toEqual({ pid: 0 });
    const again = await muster(remote.dir, ['lock', 'acquire', 'docs/guide.md', '--task', '1']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('held by the operator');
    expect((await run(['lock', 'release', 'docs/guide.md'])).code).toBe(0);
    expect((await muster(remote.dir, ['lock', 'acquire', 'docs/guide.md', '--task', '1'])).code).toBe(0);
  });

  it('says where muster is missing on the host and how to fix it (ssh exit 127)', async () => {
    const r = await run(['status'], { MUSTER_REMOTE_COMMAND: 'muster-not-installed' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`muster was not found on ${host.alias}`);
    expect(r.stderr).toContain('MUSTER_REMOTE_COMMAND');
    // The remote command may be anything the remote shell runs, with arguments.
    const ok = await run(['status', '--json'], { MUSTER_REMOTE_COMMAND: `env MUSTER_DEBUG= ${host.remoteHome}/bin/muster` });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('gives up with a reason when something else talks on the channel first (a shell startup file that prints)', async () => {
    const e = await connectRemote(
      { host: host.alias, path: remote.dir },
      { env: { ...process.env, ...host.env }, remoteCommand: `printf 'Welcome to the box '; ${host.remoteHome}/bin/muster`, timeoutMs: 4000 },
    ).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(
      /^No answer from muster proxy on musterhost:.* within 4 s\. Check that "ssh musterhost .*" prints nothing before muster does/,
    );
  });

  it("reports the remote muster's own refusal: a path there that is not a repository (exit 2)", async () => {
    const r = await muster(here.dir, ['--host', `${host.alias}:${host.remoteHome}/no such repo`, 'status'], { env: host.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${host.alias}:${host.remoteHome}/no such repo: `);
    expect(r.stderr).toContain('not inside a git repository');
  });

  it('stop over ssh stops the remote supervisor, and says so when none runs instead of starting one', async () => {
    expect((await run(['status'])).code).toBe(0);
    const pid = daemonPid(remote.dir)!;
    const stopped = await run(['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`Stopped the muster supervisor (pid ${pid})`);
    await waitFor(() => !isAlive(pid), { what: 'the remote supervisor to exit' });
    const none = await run(['stop']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain(`No muster supervisor is running for ${target()}`);
    expect(daemonPid(remote.dir)).toBeNull();
  });

  it('names the lost ssh connection, not a gone supervisor, when the link drops while a command waits', async () => {
    await muster(remote.dir, ['pause']);
    await musterJson(remote.dir, ['task', 'add', 'holder', '--risk', 'low']);
    expect((await muster(remote.dir, ['lock', 'acquire', 'src/auth/**', '--task', '1'])).code).toBe(0);
    const events = join(remote.dir, '.git', 'muster', 'events.jsonl');
    const waiting = run(['lock', 'acquire', 'src/auth/login.ts', '--wait', '120']);
    await waitFor(() => readFileSync(events, 'utf8').includes('"lock-wait-queued"'), { what: 'the lock request to wait on the remote supervisor' });
    const daemon = daemonPid(remote.dir)!;
    expect(host.dropConnections()).toBeGreaterThan(0);
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The connection to ${target()} was lost before lock.acquire was answered: the change may or may not have been applied on ${target()}; check with "muster --host ${target()} status" before you run it again.`,
    );
    expect(r.stderr).toContain('What ssh said: ssh to musterhost failed');
    expect(r.stderr).not.toContain('supervisor went away');
    // The supervisor itself never went anywhere.
    expect(isAlive(daemon)).toBe(true);
  });

  it('refuses --host on the commands that only make sense on that machine, and bad host names', async () => {
    const daemon = await run(['daemon']);
    expect(daemon.code).toBe(2);
    expect(daemon.stderr).toContain('muster daemon runs the supervisor in this terminal; it does not take --host');
    const option = await muster(here.dir, ['--host', '-oProxyCommand=touch /tmp/pwned', 'status'], { env: host.env });
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('expected [user@]host[:path]');
  });
});

describe('--repo and --host on the command line', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = createTempRepo();
  });
  afterEach(() => repo.cleanup());

  it('refuses --repo on a command, and --host with --repo, before connecting anywhere', async () => {
    const onCommand = await muster(repo.dir, ['--repo', '../other', 'task', 'list']);
    expect(onCommand.code).toBe(2);
    expect(onCommand.stderr).toContain('--repo names the repositories the cockpit shows; for "muster task list" use --host');
    const both = await muster(repo.dir, ['--host', 'box:/srv', '--repo', '../other']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('Give either --host or --repo');
    expect(daemonPid(repo.dir)).toBeNull();
  });

  it('refuses --host on hook and mcp, which speak for a task of this machine, before connecting anywhere', async () => {
    const hook = await muster(repo.dir, ['--host', 'box:/srv', 'hook', 'pre-edit'], { input: '{}' });
    expect(hook.code).toBe(2);
    expect(hook.stderr).toContain('muster hook answers the hooks of an agent on this machine; it does not take --host');
    const mcp = await muster(repo.dir, ['--host', 'box:/srv', 'mcp']);
    expect(mcp.code).toBe(2);
    expect(mcp.stderr).toContain('muster mcp serves the tools of an agent on this machine; it does not take --host');
    expect(daemonPid(repo.dir)).toBeNull();
  });
});
