import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { stopDaemon } from '../../helpers/cli.js';
import { clientFor, screenOf, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

const started = (t: { state: string; sessions: unknown[] }) => t.state === 'running' && t.sessions.length > 0;

describe('the size of an agent terminal', () => {
  it('starts a new agent at the size the last view of an agent asked for', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const first = await client.call('task.add', { title: 'shown', prompt: '@print shown\n@stay' });
    await waitForTask(client, first.id, started, 'running');
    await client.call('term.watch', { task: first.id, width: 91, height: 21 });
    const second = await client.call('task.add', { title: 'measured', prompt: '@size\n@stay' });
    await waitForTask(client, second.id, started, 'running');
    await waitFor(async () => (await screenOf(client!, second.id)).includes('size 91x21'), {
      what: 'the new agent to start at 91x21',
      describe: () => screenOf(client!, second.id),
    });
  });

  it('starts at terminal.cols and terminal.rows when the config sets them', async () => {
    repo = createAgentRepo({ terminal: { cols: 70, rows: 15 } });
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'measured', prompt: '@size\n@stay' });
    await waitForTask(client, t.id, started, 'running');
    await waitFor(async () => (await screenOf(client!, t.id)).includes('size 70x15'), {
      what: 'the agent to start at 70x15',
      describe: () => screenOf(client!, t.id),
    });
  });

  it('keeps the size of the attached view while a pane elsewhere shows the agent, and gives the pane its size back on detach', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const other = await clientFor(repo.dir);
    try {
      const t = await client.call('task.add', { title: 'viewed', prompt: '@print viewed\n@stay' });
      await waitForTask(client, t.id, started, 'running');
      await client.call('term.attach', { task: t.id, cols: 100, rows: 30 });
      await other.call('term.watch', { task: t.id, width: 50, height: 12 });
      expect(await other.call('term.attach', { task: t.id })).toMatchObject({ cols: 100, rows: 30 });
      await client.call('term.detach', { task: t.id });
      expect(await other.call('term.attach', { task: t.id })).toMatchObject({ cols: 50, rows: 12 });
    } finally {
      other.close();
    }
  });
});
