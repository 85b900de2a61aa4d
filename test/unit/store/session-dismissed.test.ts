import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/adapters/store/migrations.js';
import { toCurrent } from '../../../src/adapters/store/store-load.js';
import { emptyState, STATE_VERSION } from '../../../src/core/state.js';
import { addTask } from '../../../src/core/task-queue.js';

const at = '2026-01-01T00:00:00.000Z';

describe('a session saved before dismissals were kept', () => {
  it('loads as not dismissed, so its exited agent still shows until put away', () => {
    const { state } = addTask(emptyState(), { title: 'crasher', agent: 'fake' }, at);
    // As an older muster wrote it: the session has no `dismissed` field.
    const saved = JSON.parse(JSON.stringify(state)) as { tasks: Record<string, unknown>[] };
    saved.tasks[0]!.state = 'failed';
    saved.tasks[0]!.sessions = [{ n: 1, agent: 'fake', pid: 42, pidStart: null, startedAt: at, endedAt: at, exitCode: 3, signal: null }];
    const { state: loaded, migratedFrom } = toCurrent('/nonexistent/muster-test/state.json', saved, STATE_VERSION, MIGRATIONS, () => null);
    expect(migratedFrom).toBeNull();
    expect(loaded.tasks[0]!.sessions.map((s) => [s.n, s.exitCode, s.dismissed])).toEqual([[1, 3, false]]);
  });
});
