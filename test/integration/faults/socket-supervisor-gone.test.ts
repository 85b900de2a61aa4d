import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonPid, isAlive, muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { startOf } from '../../helpers/processes.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

const STACK = /\n\s+at /;

describe('a supervisor that dies mid-request', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A stand-in at the repository's socket that reads a request and hangs up without answering. */
  async function dyingSupervisor(repo: TempRepo): Promise<Server> {
    const socket = join(repo.dir, '.git', 'muster', 'daemon.sock');
    mkdirSync(join(repo.dir, '.git', 'muster'), { recursive: true, mode: 0o700 });
    const server = createServer((s) => s.once('data', () => s.destroy()));
    await new Promise<void>((r) => server.listen(socket, r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return server;
  }

  it('says nothing was changed for a request that only reads, and exits 1 without a stack trace', async () => {
    const repo = createTempRepo();
    cleanups.push(() => repo.cleanup());
    await dyingSupervisor(repo);
    const r = await muster(repo.dir, ['task', 'list']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^muster: The muster supervisor went away.* before it answered task\.list: it only reads, so nothing was changed\./);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('says a change may or may not have been applied, and where to check, for a request that changes something', async () => {
    const repo = createTempRepo();
    cleanups.push(() => repo.cleanup());
    await dyingSupervisor(repo);
    const r = await muster(repo.dir, ['task', 'cancel', '1', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/before it answered task\.cancel: the change may or may not have been applied; check with "muster status"/);
    expect(r.stderr).not.toMatch(STACK);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'failure' } });
  });

  it('reports a kill -9 of the real supervisor during a long merge approve the same way', async () => {
    const repo = createAgentRepo({ extra: `quality_gates:\n  - { name: slow, run: 'echo $$ > "$GATE_PID_FILE"; exec sleep 120', timeout: 300 }` });
    const gatePid = join(repo.root, 'gate.pid');
    let gate: { pid: number; start: string | null } | null = null;
    cleanups.push(
      () => repo.cleanup(),
      () => stopDaemon(repo.dir),
      () => {
        // The gate outlives a killed supervisor (until the next one stops it): do not leak it.
        // Only while it is still that gate: its pid may be another process group's by now.
        if (gate?.start && startOf(gate.pid) === gate.start) {
          try {
            process.kill(-gate.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        rmSync(gatePid, { force: true });
      },
    );
    const env = { GATE_PID_FILE: gatePid };
    await musterJson(repo.dir, ['task', 'add', 'one file', '--prompt', '@write a.txt hi\n@commit add a\n@exit 0'], { env });
    await waitFor(async () => (await musterJson<{ state: string }>(repo.dir, ['task', 'show', '1'])).state === 'review', { what: '#1 in review' });
    const approving = muster(repo.dir, ['merge', 'approve', '1'], { env });
    await waitFor(() => existsSync(gatePid) && readFileSync(gatePid, 'utf8').trim() !== '', { what: 'the gate to start' });
    const started = Number(readFileSync(gatePid, 'utf8'));
    gate = { pid: started, start: startOf(started) };
    const pid = daemonPid(repo.dir)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: 'the supervisor to die' });
    const r = await approving;
    expect(r.code, r.stderr).toBe(1);
    // After the approval's progress lines (each step as it starts), the same message.
    expect(r.stderr).toMatch(
      /^muster: The muster supervisor went away.* before it answered merge\.approve: the change may or may not have been applied; check with "muster status"/m,
    );
    expect(r.stderr).not.toMatch(STACK);
  });
});
