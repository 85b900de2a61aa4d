import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { stopDaemon } from '../../helpers/cli.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

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

describe('an agent killed by a signal from outside muster', () => {
  it('fails its task, saying which signal, instead of reporting it finished', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'killed', prompt: '@print working\n@stay' });
    const running = await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions.at(-1)?.pid != null, 'its agent started');
    process.kill(running.sessions.at(-1)!.pid!, 'SIGTERM');
    const ended = await waitForTask(client, t.id, inState('review', 'failed'), 'ended');
    expect(ended.state, ended.reason ?? '').toBe('failed');
    expect(ended.reason).toBe('agent was killed by signal 15');
  });
});
