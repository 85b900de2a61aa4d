import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type * as PtyModule from 'node-pty';
import type { MusterClient } from '../../../src/client/client.js';
import { BIN, stopDaemon, testEnv } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

const pty = createRequire(import.meta.url)('node-pty') as typeof PtyModule;

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

describe('muster attach', () => {
  it('passes keystrokes to the agent and its output back, and detaches with ctrl+] restoring the terminal', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'chatty', prompt: '@print before attach\n@wait-input\n@print after input\n@stay' });
    await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    const term = pty.spawn(process.execPath, [BIN, 'attach', String(t.id)], { cwd: repo.dir, cols: 100, rows: 30, env: testEnv() as Record<string, string> });
    let out = '';
    term.onData((d) => (out += d));
    const exited = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)));
    try {
      // The attach repaints the agent's screen as it is now.
      await waitFor(() => out.includes('before attach') && out.includes('waiting for input>'), { what: 'the repaint', describe: () => out });
      term.write('hello agent\r');
      await waitFor(() => out.includes('got: hello agent') && out.includes('after input'), { what: 'the agent to answer', describe: () => out });
      term.write('\x1d');
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
    expect(out).toContain('\x1b[?1049h');
    expect(out.slice(out.lastIndexOf('after input'))).toContain('\x1b[?1049l');
    expect(out).toContain('Detached from #1 (ctrl+]). The agent keeps running.');
    // The agent kept running, and was resized to the attaching terminal.
    const after = await client.call('task.show', { id: t.id });
    expect(after.state).toBe('running');
    const { cols, rows } = await client.call('term.attach', { task: t.id });
    expect([cols, rows]).toEqual([100, 30]);
  });

  it('attaches to a task whose setup is still running, shows the setup, then the agent', async () => {
    repo = createAgentRepo({ extra: 'worktrees: { setup: ["echo setting things up; while [ ! -f go ]; do sleep 0.05; done"] }' });
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'slow setup', prompt: '@print agent here\n@stay' });
    const starting = await waitForTask(client, t.id, (x) => x.state === 'running' && x.worktree !== null && x.sessions.length === 1, 'dispatched');
    const term = pty.spawn(process.execPath, [BIN, 'attach', String(t.id)], { cwd: repo.dir, cols: 100, rows: 30, env: testEnv() as Record<string, string> });
    let out = '';
    term.onData((d) => (out += d));
    const exited = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)));
    try {
      await waitFor(() => out.includes('setting things up'), { what: 'the setup output in the attach', describe: () => out });
      expect(out).not.toContain('not running');
      writeFileSync(join(starting.worktree!, 'go'), '');
      await waitFor(() => out.includes('agent here'), { what: 'the agent in the same attach', describe: () => out });
      term.write('\x1d');
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
  });

  it('refuses to attach to a task that has not started', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    await client.call('dispatch.pause', {});
    const t = await client.call('task.add', { title: 'queued' });
    await waitForTask(client, t.id, inState('ready'), 'ready');
    const term = pty.spawn(process.execPath, [BIN, 'attach', String(t.id)], { cwd: repo.dir, cols: 80, rows: 24, env: testEnv() as Record<string, string> });
    let out = '';
    term.onData((d) => (out += d));
    const code = await new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)));
    expect(code).toBe(2);
    expect(out).toContain('Task #1 has not started yet (ready: dispatch paused)');
  });
});
