import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoKeyOnHosts } from '../../../src/adapters/git/remote-git.js';
import { socketPathFor } from '../../../src/paths/muster-paths.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo, FAKE_AGENT } from '../../helpers/agent-repo.js';
import { sshSkipReason, startAgentHost, stopHostWorkers, type SshHost } from '../../helpers/sshd.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';
import { clientFor, screenOf } from '../../helpers/supervisor.js';

const skip = sshSkipReason();
if (skip) console.warn(`skipping the host-calls tests: ${skip}`);

interface TaskJson {
  id: number;
  state: string;
  host: string | null;
}

interface LockJson {
  resource: string;
  owner: { task: number } | { pid: number };
  state: 'active' | 'stale';
  leaseUntil?: string | null;
}

/** Seconds a host's locks stay held without its word, short so the lapse is seen in a test. */
const LEASE_SECONDS = 20;

/**
 * The `muster` calls of an agent on another host (hooks, locks, status, context), answered by
 * the repository's supervisor over the host's ssh connection, and the lease of its locks. The
 * "host" is this machine reached through a real sshd on 127.0.0.1, with its own HOME.
 */
describe.skipIf(skip !== null)("an agent's muster calls on another host (over a real ssh server)", () => {
  let host: SshHost;
  let repo: TempRepo | null = null;

  beforeAll(async () => {
    host = await startAgentHost();
  });
  afterAll(() => {
    // One worker per work directory the tests use.
    stopHostWorkers(host, ['work', 'work2', 'work3', 'work4', 'work5']);
    host?.stop();
  });
  afterEach(async () => {
    if (!repo) return;
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  });

  const run = (r: TempRepo, args: string[]) => muster(r.dir, args, { env: host.env });
  const locks = (r: TempRepo) => musterJson<LockJson[]>(r.dir, ['lock', 'list'], { env: host.env });
  const audit = (r: TempRepo) => {
    const file = join(r.dir, '.git', 'muster', 'events.jsonl');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  };

  async function add(r: TempRepo, title: string, lines: string[], where: string[] = []): Promise<TaskJson> {
    const out = await run(r, ['task', 'add', title, '--prompt', lines.join('\n'), ...where, '--json']);
    if (out.code !== 0) throw new Error(`task add exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout) as TaskJson;
  }

  /** The far agent's terminal log, kept on the host by its worker: every byte the agent printed, unwrapped. */
  const farLog = (r: TempRepo, id: number, dir = 'work') => join(host.remoteHome, dir, repoKeyOnHosts(r.dir), 'tasks', String(id), 'terminal.log');

  function describeAll(r: TempRepo, id?: number, dir = 'work'): () => Promise<string> {
    return async () => {
      const tasks = await run(r, ['task', 'list', '--json']);
      const lockList = await run(r, ['lock', 'list', '--json']);
      const files = [join(r.dir, '.git', 'muster', 'daemon.log'), join(host.remoteHome, dir, '.muster', 'worker.log'), ...(id ? [farLog(r, id, dir)] : [])];
      const logs = files.map((f) => `--- ${f} ---\n${existsSync(f) ? readFileSync(f, 'utf8').slice(-3000) : '(none)'}`).join('\n');
      return `${tasks.stdout}${tasks.stderr}\n${lockList.stdout}\n${logs}\n--- sshd ---\n${host.log().slice(-1500)}`;
    };
  }

  const lockOf = (all: LockJson[], resource: string) => all.find((l) => l.resource === resource) ?? null;

  it("refuses the host agent's edit and lock of a file a local task holds, naming the holder; its status and context reach the supervisor; its lock's lease holds, lapses and is renewed", async () => {
    const r = createAgentRepo({
      maxWorkers: 2,
      extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 2, dir: work, lock_lease_seconds: ${LEASE_SECONDS} }`].join('\n'),
    });
    repo = r;
    const near = await add(r, 'near holds shared', ['@muster lock acquire shared.txt', '@wait-input']);
    await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'shared.txt');
        return l && 'task' in l.owner && l.owner.task === near.id ? l : null;
      },
      { timeout: 60_000, what: `shared.txt write-locked by #${near.id}`, describe: describeAll(r) },
    );

    const far = await add(
      r,
      'far wants shared',
      [
        '@muster hook pre-edit {"tool_input":{"file_path":"shared.txt"}}',
        '@muster lock acquire shared.txt',
        '@muster agent status waiting-input --note far-needs-shared',
        '@muster context add far-found-a-pattern --section decisions',
        '@muster lock acquire far-only.txt',
        '@print far calls done',
        '@wait-input',
      ],
      ['--on-host', 'far'],
    );
    expect(far.host).toBe('far');
    const log = await waitFor(
      () => {
        const f = farLog(r, far.id);
        const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
        return text.includes('far calls done') ? text : null;
      },
      { timeout: 120_000, what: 'the far agent to have made its muster calls', describe: describeAll(r, far.id) },
    );
    // The edit hook answers the agent CLI with a denial that names the holder.
    expect(log).toMatch(new RegExp(`muster hook pre-edit \\S+ -> 0: .*"permissionDecision":"deny".*shared\\.txt is write-locked by #${near.id}`));
    // The lock is refused with the conflict exit code, naming the holder.
    expect(log).toMatch(new RegExp(`muster lock acquire shared\\.txt -> 3: muster: not granted[^]*shared\\.txt held by #${near.id} \\(write\\)`));
    expect(log).toMatch(new RegExp(`muster agent status waiting-input --note far-needs-shared -> 0: #${far.id} waiting-input`));
    expect(log).toMatch(/muster context add far-found-a-pattern --section decisions -> 0/);
    expect(log).toMatch(new RegExp(`muster lock acquire far-only\\.txt -> 0: Locked far-only\\.txt \\(write\\) for #${far.id}`));
    // The agent's screen, as the supervisor shows it, has the refusal's exit code.
    const client = await clientFor(r.dir);
    try {
      const screen = (await screenOf(client, far.id)).replace(/\n/g, '');
      expect(screen).toContain('muster lock acquire shared.txt -> 3');
    } finally {
      client.close();
    }

    // What it said is the supervisor's: the context entry is the far task's, its status note is in the audit log.
    const context = await musterJson<{ text: string }>(r.dir, ['context', 'show'], { env: host.env });
    expect(context.text).toMatch(new RegExp(`far-found-a-pattern.*#${far.id}|#${far.id}.*far-found-a-pattern`));
    expect(audit(r).find((l) => l.includes('"agent-status-reported"') && l.includes('far-needs-shared'))).toContain(`"actor":"task #${far.id}"`);
    expect(audit(r).some((l) => l.includes('"edit-denied"') && l.includes(`"task":${far.id}`))).toBe(true);

    // Its lock carries a lease; the local task's does not.
    const leased = await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'far-only.txt');
        return l?.leaseUntil ? l : null;
      },
      { timeout: 30_000, what: 'a lease on the far task’s lock', describe: describeAll(r, far.id) },
    );
    expect(leased.owner).toEqual({ task: far.id });
    expect(leased.state).toBe('active');
    expect(lockOf(await locks(r), 'shared.txt')?.leaseUntil ?? null).toBeNull();

    // The host becomes unreachable (its muster cannot be run, and every connection is cut): stalled, the lock held for its lease.
    const shim = join(host.remoteHome, 'bin', 'muster');
    renameSync(shim, `${shim}.away`);
    try {
      expect(host.dropConnections()).toBeGreaterThan(0);
      const stalled = await waitFor(() => audit(r).find((l) => l.includes('"task-stalled"') && l.includes(`"task":${far.id},`)) ?? null, {
        timeout: 60_000,
        what: 'the far task stalled once its host is unreachable',
        describe: describeAll(r, far.id),
      });
      const stalledAt = Date.parse((JSON.parse(stalled) as { time: string }).time);
      const held = lockOf(await locks(r), 'far-only.txt');
      expect(held?.owner).toEqual({ task: far.id });
      // Still held when the host went away: its lease ran past that.
      expect(Date.parse(held!.leaseUntil!)).toBeGreaterThan(stalledAt);
      // Without renewals the lease lapses: the lock is stale (it still blocks, and is still the far task's).
      const stale = await waitFor(
        async () => {
          const l = lockOf(await locks(r), 'far-only.txt');
          return l?.state === 'stale' ? l : null;
        },
        { timeout: 60_000, what: 'the far lock to turn stale once its lease lapsed', describe: describeAll(r, far.id) },
      );
      expect(stale.owner).toEqual({ task: far.id });
      await waitFor(() => audit(r).find((l) => l.includes('"lock-expired"') && l.includes('far-only.txt') && l.includes('lease lapsed')) ?? null, {
        timeout: 30_000,
        what: 'the lapse in the audit log',
        describe: describeAll(r, far.id),
      });
      // The local lock has no lease: it stays active.
      expect(lockOf(await locks(r), 'shared.txt')?.state).toBe('active');
      // Lapsed while its host is away, the far lock is still not anyone else's to take (its agent may be editing that file there).
      const taken = await run(r, ['lock', 'acquire', 'far-only.txt']);
      expect(taken.code, taken.stdout + taken.stderr).toBe(3);
      expect(taken.stderr).toContain(`#${far.id}`);
      expect(lockOf(await locks(r), 'far-only.txt')?.owner).toEqual({ task: far.id });
    } finally {
      renameSync(`${shim}.away`, shim);
    }

    // The host is back: the task resumes and the worker renews the lease.
    const renewed = await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'far-only.txt');
        return l?.state === 'active' ? l : null;
      },
      { timeout: 90_000, what: 'the far lock active again once its host renewed it', describe: describeAll(r, far.id) },
    );
    expect(renewed.owner).toEqual({ task: far.id });
    expect(audit(r).some((l) => l.includes('"lock-lease-renewed"') && l.includes('far-only.txt'))).toBe(true);
    await waitFor(() => audit(r).find((l) => l.includes('"task-resumed"') && l.includes(`"task":${far.id},`)) ?? null, {
      timeout: 60_000,
      what: 'the far task resumed once its host is back',
      describe: describeAll(r, far.id),
    });

    await run(r, ['task', 'cancel', String(far.id)]);
    await run(r, ['task', 'cancel', String(near.id)]);
  }, 360_000);
  it("wires the host agent's CLI to the host's muster (hooks, MCP server) and its commit guard refuses a commit of a path a local task holds", async () => {
    const r = createAgentRepo({
      maxWorkers: 2,
      // Wired as Claude Code is: its hooks and MCP server in files beside the prompt on the host.
      agents: { wired: { command: './fake-claude.sh', integration: 'claude' } },
      // A work directory of its own: this test's tasks are numbered as the first test's were.
      extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 2, dir: work2 }`].join('\n'),
    });
    repo = r;
    // The fake agent reads its prompt from MUSTER_PROMPT_FILE; the wiring's options are for Claude Code, not for it.
    writeFileSync(join(r.dir, 'fake-claude.sh'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_AGENT)}\n`);
    chmodSync(join(r.dir, 'fake-claude.sh'), 0o755);
    r.commitAll('a wired fake agent');
    const near = await add(r, 'near holds shared', ['@muster lock acquire shared.txt', '@wait-input']);
    await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'shared.txt');
        return l && 'task' in l.owner && l.owner.task === near.id ? l : null;
      },
      { timeout: 60_000, what: `shared.txt write-locked by #${near.id}`, describe: describeAll(r) },
    );
    const far = await add(
      r,
      'far commits shared',
      ['@write shared.txt from the host', '@try-commit far takes shared', '@print far tried', '@wait-input'],
      ['--on-host', 'far', '--agent', 'wired'],
    );
    const log = await waitFor(
      () => {
        const f = farLog(r, far.id, 'work2');
        const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
        return text.includes('far tried') ? text : null;
      },
      { timeout: 120_000, what: 'the far agent to have tried its commit', describe: describeAll(r, far.id, 'work2') },
    );
    // The commit guard installed in the host's worktree asked the supervisor, which refused it naming the holder.
    expect(log).toMatch(new RegExp(`commit -> 1: muster: commit refused: #${far.id} would change paths write-locked by #${near.id}`));
    expect(audit(r).some((l) => l.includes('"commit-refused"') && l.includes(`"task":${far.id}`))).toBe(true);

    // The CLI's settings there run the host's own muster for its hooks and MCP server.
    const taskDir = join(host.remoteHome, 'work2', repoKeyOnHosts(r.dir), 'tasks', String(far.id));
    const settings = JSON.parse(readFileSync(join(taskDir, 'claude-settings.json'), 'utf8')) as {
      hooks: { PreToolUse: { hooks: { command: string }[] }[] };
    };
    const hook = settings.hooks.PreToolUse[0]!.hooks[0]!.command;
    const hostMuster = join(host.remoteHome, 'work2', '.muster', 'bin', 'muster');
    expect(hook).toContain(`${hostMuster} hook pre-edit`);
    const mcpConfig = JSON.parse(readFileSync(join(taskDir, 'mcp.json'), 'utf8')) as { mcpServers: { muster: { command: string; args: string[] } } };
    expect(mcpConfig.mcpServers.muster).toMatchObject({ command: hostMuster, args: ['mcp'] });

    // Run there as the CLI runs them, in the task's worktree (not under its agent: judged by the worktree it works in).
    const worktree = join(host.remoteHome, 'work2', repoKeyOnHosts(r.dir), `task-${far.id}`);
    const denied = host.ssh(`cd '${worktree}' && echo '{"tool_input":{"file_path":"shared.txt"}}' | ${hook}`);
    expect(denied).toMatch(new RegExp(`"permissionDecision":"deny".*shared\\.txt is write-locked by #${near.id}`));
    const mcp = new Client({ name: 'test', version: '1.0.0' });
    await mcp.connect(
      new StdioClientTransport({
        command: 'ssh',
        args: ['-F', host.sshConfig, host.alias, `cd '${worktree}' && exec ${mcpConfig.mcpServers.muster.command} mcp`],
        env: { ...process.env, ...host.env } as Record<string, string>,
      }),
    );
    try {
      const call = async (name: string, args: Record<string, unknown>) => {
        const res = (await mcp.callTool({ name, arguments: args })) as { content: { text: string }[]; isError?: boolean };
        return { text: res.content.map((c) => c.text).join(''), isError: res.isError === true };
      };
      const refused = await call('lock_acquire', { paths: ['shared.txt'] });
      expect(refused.isError).toBe(true);
      expect(refused.text).toContain(`shared.txt held by #${near.id} (write)`);
      expect((await call('lock_acquire', { paths: ['mcp-far.txt'] })).text).toContain('Granted: mcp-far.txt (write)');
    } finally {
      await mcp.close();
    }
    expect(lockOf(await locks(r), 'mcp-far.txt')?.owner).toEqual({ task: far.id });

    await run(r, ['task', 'cancel', String(far.id)]);
    await run(r, ['task', 'cancel', String(near.id)]);
  }, 360_000);

  it("does not start an agent on a host whose worker cannot serve the repository's muster calls, and says why", async () => {
    const r = createAgentRepo({
      maxWorkers: 1,
      extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 1, dir: work3 }`].join('\n'),
    });
    repo = r;
    // Something that is not a socket, and cannot be removed as one, where the worker would listen for the repository's calls.
    const sock = socketPathFor(join(host.remoteHome, 'work3', `${repoKeyOnHosts(r.dir)}.git`, 'muster'));
    expect(sock.endsWith('/daemon.sock'), sock).toBe(true);
    mkdirSync(join(sock, 'in-the-way'), { recursive: true });
    const far = await add(r, 'far without its calls', ['@print far started', '@wait-input'], ['--on-host', 'far']);
    const failed = await waitFor(
      async () => {
        const t = await musterJson<{ state: string; reason: string | null }>(r.dir, ['task', 'show', String(far.id)], { env: host.env });
        return t.state === 'failed' ? t : null;
      },
      { timeout: 120_000, what: 'the far task to fail to launch', describe: describeAll(r, far.id, 'work3') },
    );
    expect(failed.reason).toMatch(/host far does not forward its agents' muster calls/);
    expect(failed.reason).toMatch(/worker\.log/);
    // No agent ran there.
    expect(existsSync(farLog(r, far.id, 'work3')) ? readFileSync(farLog(r, far.id, 'work3'), 'utf8') : '').not.toContain('far started');
  }, 240_000);

  it("lets a host's agent make only its own task's calls: adding a task or reading another task's screen or prompt is refused, its status and locks still work", async () => {
    const r = createAgentRepo({
      maxWorkers: 2,
      extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 2, dir: work4 }`].join('\n'),
    });
    repo = r;
    const near = await add(r, 'near shows its screen', ['@print near-screen-secret', '@wait-input']);
    // Its id is the next one: the agent names its own task in its calls.
    const farId = near.id + 1;
    const far = await add(
      r,
      'far stays in scope',
      [
        '@muster task add sneaky-from-far --prompt x',
        `@muster log ${near.id}`,
        `@muster task show ${near.id}`,
        '@muster agent status waiting-input --note far-in-scope',
        '@muster lock acquire far-scope.txt',
        `@muster task show ${farId}`,
        '@print far scope done',
        '@wait-input',
      ],
      ['--on-host', 'far'],
    );
    expect(far.id).toBe(farId);
    const log = await waitFor(
      () => {
        const f = farLog(r, far.id, 'work4');
        const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
        return text.includes('far scope done') ? text.replace(/\r?\n/g, ' ') : null;
      },
      { timeout: 120_000, what: 'the far agent to have made its muster calls', describe: describeAll(r, far.id, 'work4') },
    );
    // Refused with the bad-input exit code, saying what, why and where to run it instead.
    expect(log).toMatch(
      /muster task add sneaky-from-far --prompt x -> 2: muster: Refused "task\.add" from pid \d+ \(\S+\) on host far, for task #\d+\..*Run it on the operator's machine/,
    );
    expect(log).toMatch(new RegExp(`muster log ${near.id} -> 2: muster: Refused "term\\.log"`));
    expect(log).toMatch(new RegExp(`muster task show ${near.id} -> 2: muster: Refused "task\\.detail" of task #${near.id}`));
    expect(log).not.toContain('near-screen-secret');
    // Its own task's calls go through.
    expect(log).toMatch(new RegExp(`muster agent status waiting-input --note far-in-scope -> 0: #${far.id} waiting-input`));
    expect(log).toMatch(new RegExp(`muster lock acquire far-scope\\.txt -> 0: Locked far-scope\\.txt \\(write\\) for #${far.id}`));
    expect(log).toMatch(new RegExp(`muster task show ${far.id} -> 0: .*far stays in scope`));
    // Nothing was added; each refusal is in the audit log.
    const tasks = await musterJson<{ title: string }[]>(r.dir, ['task', 'list'], { env: host.env });
    expect(tasks.map((t) => t.title)).not.toContain('sneaky-from-far');
    const refused = audit(r).filter((l) => l.includes('"host-call-refused"'));
    expect(refused.some((l) => l.includes('"task.add"') && l.includes('"actor":"host far"'))).toBe(true);
    expect(refused.some((l) => l.includes('"term.log"'))).toBe(true);

    await run(r, ['task', 'cancel', String(far.id)]);
    await run(r, ['task', 'cancel', String(near.id)]);
  }, 240_000);

  it("renews a host's lock leases on the new schedule once a config reload changes its lock_lease_seconds", async () => {
    const r = createAgentRepo({
      maxWorkers: 1,
      // An hour at first: renewed every quarter of it, so a lease only moves within the test if the reload reached the host.
      extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 1, dir: work5, lock_lease_seconds: 3600 }`].join('\n'),
    });
    repo = r;
    const far = await add(r, 'far holds a leased lock', ['@muster lock acquire far-lease.txt', '@print far locked', '@wait-input'], ['--on-host', 'far']);
    const first = await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'far-lease.txt');
        return l?.leaseUntil ? l : null;
      },
      { timeout: 120_000, what: 'a lease on the far task’s lock', describe: describeAll(r, far.id, 'work5') },
    );
    expect(Date.parse(first.leaseUntil!) - Date.now()).toBeGreaterThan(1800_000);

    const configFile = join(r.dir, '.muster', 'config.yaml');
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('lock_lease_seconds: 3600', 'lock_lease_seconds: 20'));
    // The host renews on the new schedule at once: the hour-long lease becomes one of 20 s ...
    const shortened = await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'far-lease.txt');
        return l?.leaseUntil && Date.parse(l.leaseUntil) - Date.now() < 60_000 ? l : null;
      },
      { timeout: 60_000, what: 'the far lock’s lease cut to the new length', describe: describeAll(r, far.id, 'work5') },
    );
    expect(shortened.state).toBe('active');
    // ... and keeps renewing it every quarter of that: the lease moves on, and stays active.
    const again = await waitFor(
      async () => {
        const l = lockOf(await locks(r), 'far-lease.txt');
        return l?.leaseUntil && Date.parse(l.leaseUntil) > Date.parse(shortened.leaseUntil!) ? l : null;
      },
      { timeout: 60_000, what: 'the far lock’s lease renewed on the new schedule', describe: describeAll(r, far.id, 'work5') },
    );
    expect(again.state).toBe('active');
    expect(again.owner).toEqual({ task: far.id });

    await run(r, ['task', 'cancel', String(far.id)]);
  }, 240_000);
});
