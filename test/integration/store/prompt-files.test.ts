import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStore } from '../../../src/adapters/store/store-load.js';
import { emptyState, STATE_VERSION } from '../../../src/core/state.js';
import { addTask } from '../../../src/core/task-queue.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { clientFor, inState, screenOf, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo;
let state: string;
beforeEach(() => {
  repo = createAgentRepo();
  state = join(repo.dir, '.git', 'muster');
});
afterEach(async () => {
  await stopDaemon(repo.dir);
  repo.cleanup();
});

/** The bytes the store takes on disk: its snapshot and every journal segment. */
function storeBytes(): number {
  const journal = join(state, 'journal');
  const segments = existsSync(journal) ? readdirSync(journal).map((f) => statSync(join(journal, f)).size) : [];
  return statSync(join(state, 'state.json')).size + segments.reduce((a, b) => a + b, 0);
}

/** The store as the next supervisor reads it: the snapshot with its journal replayed. */
function storeOnDisk(): unknown {
  return loadStore({ storeFile: join(state, 'state.json'), eventsFile: join(state, 'events.jsonl'), migrations: {} }, () => null).state;
}

interface TaskJson {
  id: number;
  title: string;
  prompt?: string;
  promptBytes: number;
  promptPreview: string;
}

describe('prompts kept out of the store', () => {
  it('writes a large prompt to its own file: the store stays small, lists carry its size and first line, show gives it whole', async () => {
    await muster(repo.dir, ['pause']);
    const prompt = `Port the parser to the new grammar\n${'0123456789abcdef\n'.repeat(200_000)}`;
    writeFileSync(join(repo.root, 'prompt.md'), prompt);
    const added = await musterJson<TaskJson>(repo.dir, ['task', 'add', 'parser', '--prompt-file', join(repo.root, 'prompt.md')]);

    expect(readFileSync(join(state, 'tasks', String(added.id), 'prompt.txt'), 'utf8')).toBe(prompt);
    expect(storeBytes()).toBeLessThan(10_000);
    const listed = await musterJson<TaskJson[]>(repo.dir, ['task', 'list']);
    expect(listed).toEqual([expect.objectContaining({ id: added.id, promptBytes: prompt.length, promptPreview: 'Port the parser to the new grammar' })]);
    expect(listed[0]).not.toHaveProperty('prompt');
    const status = await musterJson<{ tasks: TaskJson[] }>(repo.dir, ['status']);
    expect(status.tasks[0]).not.toHaveProperty('prompt');
    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', String(added.id)])).prompt).toBe(prompt);
  });

  it('adds nothing when the prompt cannot be written, and says where it failed', async () => {
    await muster(repo.dir, ['pause']);
    await musterJson(repo.dir, ['task', 'add', 'first']);
    // Where task 2's prompt would go is taken by a file.
    writeFileSync(join(state, 'tasks', '2'), 'in the way');
    const store = storeOnDisk();
    const r = await muster(repo.dir, ['task', 'add', 'second', '--prompt', 'do it']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Nothing was added: the prompt could not be written to .*tasks\/2\/prompt\.txt \((EEXIST|ENOTDIR)\)/);
    expect(storeOnDisk()).toEqual(store);
    expect((await musterJson<TaskJson[]>(repo.dir, ['task', 'list'])).map((t) => t.title)).toEqual(['first']);
  });

  it('says which file is missing when a prompt file is gone, and the task fails to start with that reason', async () => {
    await muster(repo.dir, ['pause']);
    const t = await musterJson<TaskJson>(repo.dir, ['task', 'add', 'lost', '--prompt', '@exit 0']);
    rmSync(join(state, 'tasks', String(t.id), 'prompt.txt'));
    const missing = new RegExp(
      `the prompt of #${t.id} cannot be read from .*tasks/${t.id}/prompt\\.txt \\(ENOENT\\); restore that file, or add the task again`,
    );
    const shown = await musterJson<TaskJson & { promptError: string }>(repo.dir, ['task', 'show', String(t.id)]);
    expect(shown).not.toHaveProperty('prompt');
    expect(shown.promptError).toMatch(missing);
    expect((await muster(repo.dir, ['task', 'show', String(t.id)])).stdout).toMatch(/\(no prompt: the prompt of #\d+ cannot be read/);
    await muster(repo.dir, ['resume']);
    const client = await clientFor(repo.dir);
    try {
      const failed = await waitForTask(client, t.id, inState('failed'), 'fails to start');
      expect(failed.reason).toMatch(/the prompt of #\d+ cannot be read from/);
      // It fails before a worktree is made for it.
      expect(existsSync(failed.worktree ?? join(repo.root, 'none'))).toBe(false);
    } finally {
      client.close();
    }
  });

  it('moves the prompts of a store written by the previous version into files, keeps a backup, and the agent gets its prompt', async () => {
    // A version 1 store as the previous muster wrote it: the prompt inline in the task.
    const prompt = '@print the migrated prompt reached the agent\n@stay';
    const { task } = addTask(emptyState(), { title: 'from v1', agent: 'fake' }, new Date().toISOString());
    const v1 = { ...emptyState(), version: 1, paused: true, nextTaskId: 2, order: [1], tasks: [{ ...task, prompt }] };
    mkdirSync(state, { recursive: true, mode: 0o700 });
    writeFileSync(join(state, 'state.json'), JSON.stringify(v1), { mode: 0o600 });

    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', '1'])).prompt).toBe(prompt);
    expect(readFileSync(join(state, 'tasks', '1', 'prompt.txt'), 'utf8')).toBe(prompt);
    const backups = readdirSync(state).filter((f) => /^state\.json\.v1\.\d+\.bak$/.test(f));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(state, backups[0]!), 'utf8')).tasks[0].prompt).toBe(prompt);
    expect(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8'))).toMatchObject({
      version: STATE_VERSION,
      tasks: [{ prompt: { file: 'tasks/1/prompt.txt', bytes: prompt.length } }],
    });

    await muster(repo.dir, ['resume']);
    const client = await clientFor(repo.dir);
    try {
      await waitForTask(client, 1, inState('running'), 'starts');
      await expect.poll(() => screenOf(client, 1), { timeout: 20_000 }).toContain('the migrated prompt reached the agent');
    } finally {
      client.close();
    }
  });
});
