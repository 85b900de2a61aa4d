import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostCalls, type HostCallsSource } from '../../../src/adapters/worker/host-calls.js';
import type { WorkerEvent } from '../../../src/adapters/worker/messages.js';
import { waitFor } from '../../helpers/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A HostCalls serving repository `r` from a temp dir; `leaders` and `taskAt` stand for the worker's terminals and worktrees. */
async function served(
  leaders: Map<number, number>,
  taskAt: (path: string) => number | null = () => null,
  // The supervisor's connection: only its identity and writability matter here, the events go to `sent`.
  route = { writable: true } as Socket,
) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'muster-hc-')));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const sent: { route: Socket; event: WorkerEvent }[] = [];
  const source: HostCallsSource = {
    leaders: () => leaders,
    worktree: (_repo, task) => join(root, 'r', `task-${task}`),
    taskAt: (_repo, path) => taskAt(path),
    running: () => [],
  };
  const calls = new HostCalls(source, (route, event) => sent.push({ route, event }));
  cleanups.push(() => calls.close());
  const gitDir = join(root, 'r.git');
  mkdirSync(gitDir);
  const { socketPath } = await calls.serve('r', gitDir, route, 60_000);
  return { root, calls, sent, route, socketPath, gitDir };
}

function opened(sent: { event: WorkerEvent }[]) {
  return sent.map((s) => s.event).find((e) => e.e === 'call-open') as Extract<WorkerEvent, { e: 'call-open' }> | undefined;
}

describe("a host worker's muster calls (HostCalls)", () => {
  it('judges a caller by its ancestry first: a process in the session of a task’s agent is that task’s', async () => {
    // This very process leads "task 5's terminal".
    const { sent, socketPath } = await served(new Map([[process.pid, 5]]));
    const agent = connect(socketPath);
    cleanups.push(() => agent.destroy());
    const open = await waitFor(() => opened(sent) ?? null, { timeout: 10_000, what: 'the call to open' });
    expect(open.task).toBe(5);
    expect(open.pid).toBe(process.pid);
    expect(open.how).toMatch(/session of task #5/);
  });

  it('judges a caller outside any agent’s session by the directory it works in, else names no task', async () => {
    const seen: string[] = [];
    const { sent, socketPath, root } = await served(new Map(), (path) => {
      seen.push(path);
      return path.startsWith(join(root, 'r', 'task-3')) ? 3 : null;
    });
    const inWorktree = join(root, 'r', 'task-3', 'src');
    mkdirSync(inWorktree, { recursive: true });
    // A process working in task 3's worktree (not this one, which works elsewhere) connects and waits.
    const script = `const s=require('net').connect(${JSON.stringify(socketPath)});s.on('connect',()=>setTimeout(()=>s.end(),30000));`;
    const child = spawn(process.execPath, ['-e', script], { cwd: inWorktree, stdio: 'ignore' });
    cleanups.push(() => child.kill());
    const open = await waitFor(() => opened(sent) ?? null, { timeout: 10_000, what: 'the call to open' });
    expect(open.task).toBe(3);
    expect(open.how).toMatch(/worktree/);
    expect(seen).toContain(inWorktree);

    // This process: no agent's session, not in a worktree.
    sent.length = 0;
    const stray = connect(socketPath);
    cleanups.push(() => stray.destroy());
    const none = await waitFor(() => opened(sent) ?? null, { timeout: 10_000, what: 'the stray call to open' });
    expect(none.task).toBeNull();
  });

  it("stops reading an agent's connection while the supervisor's channel is full, and forwards the rest once it drains", async () => {
    // A channel that says "wait" (its buffer is over its mark) until it drains.
    const route = Object.assign(new EventEmitter(), { writable: true, writableNeedDrain: true }) as unknown as Socket & { writableNeedDrain: boolean };
    const { sent, socketPath } = await served(new Map([[process.pid, 5]]), () => null, route);
    const agent = connect(socketPath);
    cleanups.push(() => agent.destroy());
    await new Promise((r) => agent.once('connect', r));
    // 4 MB of requests at once, far more than the socket's buffers hold.
    const lines = Array.from({ length: 4096 }, (_, id) => `${JSON.stringify({ t: 'req', id, method: 'ping', params: { pad: 'x'.repeat(1000) } })}\n`);
    agent.write(lines.join(''));
    const forwarded = () => sent.filter((x) => x.event.e === 'call-line').length;
    await waitFor(() => forwarded() > 0 || null, { timeout: 10_000, what: 'the first requests to be sent on' });
    // Until the agent's side stops moving: the worker reads nothing more, so the kernel's buffers fill and the rest waits there.
    let last = -1;
    let still = 0;
    await waitFor(
      async () => {
        await new Promise((r) => setImmediate(r));
        still = agent.writableLength === last ? still + 1 : 0;
        last = agent.writableLength;
        return still >= 50 || agent.writableLength === 0 || null;
      },
      { timeout: 30_000, what: "the agent's writes to stop moving", describe: () => `${forwarded()} forwarded, ${agent.writableLength} bytes waiting` },
    );
    expect(forwarded(), 'requests read while the channel said wait').toBeLessThan(lines.length / 4);
    expect(agent.writableLength).toBeGreaterThan(0);

    // Drained: the rest comes, in order, none lost.
    route.writableNeedDrain = false;
    route.emit('drain');
    await waitFor(() => forwarded() === lines.length || null, {
      timeout: 30_000,
      what: 'every request to be sent on',
      describe: () => `${forwarded()} forwarded`,
    });
    const ids = sent.flatMap((x) => (x.event.e === 'call-line' ? [(JSON.parse(x.event.line) as { id: number }).id] : []));
    expect(ids).toEqual(lines.map((_, i) => i));
  });

  it('answers and ends the calls open on a connection that a new one replaces, instead of leaving them hanging', async () => {
    const { calls, sent, socketPath, gitDir } = await served(new Map([[process.pid, 5]]));
    const agent = connect(socketPath);
    agent.setEncoding('utf8');
    cleanups.push(() => agent.destroy());
    let got = '';
    let ended = false;
    agent.on('data', (d: string) => (got += d));
    agent.on('end', () => (ended = true));
    agent.write(`${JSON.stringify({ t: 'req', id: 7, method: 'status', params: {} })}\n`);
    await waitFor(() => sent.find((s) => s.event.e === 'call-line') ?? null, { timeout: 10_000, what: 'the request to be sent on' });

    // The supervisor reconnected: its new connection serves the repository now.
    await calls.serve('r', gitDir, { writable: true } as Socket, 60_000);
    await waitFor(() => (ended ? got : null), { timeout: 10_000, what: 'the old call to be answered and ended', describe: () => got });
    const res = JSON.parse(got.trim().split('\n')[0]!) as { t: string; id: number; ok: boolean; error: { message: string } };
    expect(res).toMatchObject({ t: 'res', id: 7, ok: false });
    expect(res.error.message).toMatch(/replaced.*retry/);
  });
});
