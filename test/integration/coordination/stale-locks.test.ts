import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
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

interface LockJson {
  resource: string;
  state: string;
  owner: { task?: number; pid?: number };
}

describe('a stale lock whose holder changed the path', () => {
  it('is not given to another owner, is named stale in the refusal, and passes only when the operator steals it', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    // The agent changes notes.md on its branch, commits, and stays.
    const holder = await client.call('task.add', {
      title: 'holder',
      prompt: '@write notes.md the holder wrote this\n@commit notes by the holder\n@print committed and waiting\n@stay',
    });
    await waitForTask(client, holder.id, (t) => t.state === 'running', 'running');
    await waitFor(async () => (await screenOf(client!, holder.id)).includes('committed and waiting'), {
      what: 'the holder to commit',
      describe: () => screenOf(client!, holder.id),
    });
    expect((await muster(repo.dir, ['lock', 'acquire', 'notes.md', '--task', String(holder.id), '--ttl', '1s'])).code).toBe(0);
    await waitFor(async () => (await musterJson<LockJson[]>(repo!.dir, ['lock', 'list'])).some((l) => l.resource === 'notes.md' && l.state === 'stale'), {
      what: 'the lock to go stale',
    });

    const refused = await muster(repo.dir, ['lock', 'acquire', 'notes.md', '--json']);
    expect(refused.code, refused.stderr).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ granted: false, conflicts: [{ resource: 'notes.md', holder: { task: holder.id }, stale: true }] });
    const still = await musterJson<LockJson[]>(repo.dir, ['lock', 'list']);
    expect(still.filter((l) => l.resource === 'notes.md').map((l) => l.owner)).toEqual([{ task: holder.id }]);

    const stolen = await muster(repo.dir, ['lock', 'acquire', 'notes.md', '--steal', '--json']);
    expect(stolen.code, stolen.stderr).toBe(0);
    const after = await musterJson<LockJson[]>(repo.dir, ['lock', 'list']);
    expect(after.filter((l) => l.resource === 'notes.md').map((l) => l.owner.task)).toEqual([undefined]);
    const events = readFileSync(join(repo.dir, '.git', 'muster', 'events.jsonl'), 'utf8');
    expect(events).toMatch(/"kind":"lock-stolen"/);
  });
});
