import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/client/connect.js';
import { ResilientClient, type LinkState } from '../../../src/client/resilient-client.js';
import type { EventMessage } from '../../../src/protocol/messages.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo;
let link: ResilientClient | null = null;
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(async () => {
  link?.close();
  await stopDaemon(repo.dir);
  repo.cleanup();
});

describe('a link that outlives its connection (ResilientClient, a real supervisor)', () => {
  it('says it is lost while the supervisor is gone, never starts one itself, and resumes its subscriptions when one is back', async () => {
    const opened: boolean[] = [];
    link = await ResilientClient.connect(
      async (again) => {
        opened.push(again);
        return (await connect({ cwd: repo.dir, autostart: !again, remote: null })).client;
      },
      'repo',
      [50, 100, 200],
    );
    const states: LinkState[] = [];
    link.onState((s) => states.push(s));
    const events: EventMessage[] = [];
    link.onEvent((e) => events.push(e));
    let drops = 0;
    link.onDisconnect(() => drops++);
    await link.call('subscribe', { topics: ['task'] });
    await muster(repo.dir, ['pause']);

    expect((await muster(repo.dir, ['stop'])).code).toBe(0);
    await waitFor(() => states.some((s) => s.kind === 'lost' && s.attempt >= 2), { what: 'a failed reconnect', describe: () => JSON.stringify(states) });
    expect(drops).toBe(1);
    const lost = states.filter((s) => s.kind === 'lost').at(-1)!;
    expect(lost).toMatchObject({
      message: expect.stringMatching(/^Connection to repo lost; retrying(?: in \d s)?… \(No muster supervisor is running for this repository\)$/),
    });
    await expect(link.call('status', {})).rejects.toThrow(/Connection to repo lost/);
    expect(opened.filter((again) => !again)).toHaveLength(1);

    // Someone starts it again; the link finds it and the task events flow as before.
    await musterJson(repo.dir, ['task', 'add', 'after the restart']);
    await waitFor(() => link!.state.kind === 'up', { what: 'the link to be up again', describe: () => JSON.stringify(states.at(-1)) });
    await musterJson(repo.dir, ['task', 'add', 'seen again']);
    await waitFor(() => events.some((e) => e.topic === 'task' && (e.data as { title?: string }).title === 'seen again'), {
      what: 'a task event on the new connection',
    });
    expect((await link.call('status', {})).tasks.map((t) => t.title)).toEqual(['after the restart', 'seen again']);
  });
});
