import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../../src/adapters/worker/messages.js';
import type { WorkerClient } from '../../../src/adapters/worker/worker-client.js';
import { RemoteCalls } from '../../../src/supervisor/remote-calls.js';
import type { StateCell } from '../../../src/supervisor/state-cell.js';

interface Adopted {
  refusal: string | null;
  vouched: { host: string; task: number } | null;
}

/** A supervisor with task 1 on host far, task 2 on host near and task 3 on this machine; what its socket server is handed. */
function supervisor() {
  const adopted: Adopted[] = [];
  const audited: unknown[] = [];
  const cell = {
    isStopping: false,
    server: { adopt: (_stream: unknown, _conn: unknown, refusal: string | null, vouched: Adopted['vouched']) => adopted.push({ refusal, vouched }) },
    state: {
      tasks: [
        { id: 1, host: 'far' },
        { id: 2, host: 'near' },
        { id: 3, host: null },
      ],
    },
    audit: (events: unknown[]) => audited.push(...events),
  } as unknown as StateCell;
  const sent: { m: string; p: unknown }[] = [];
  const client = { send: (m: string, p: unknown) => sent.push({ m, p }) } as unknown as WorkerClient;
  return { calls: new RemoteCalls(cell), adopted, audited, sent, client };
}

const open = (ch: number, task: number | null): CallEvent => ({
  e: 'call-open',
  ch,
  repo: 'r',
  task,
  pid: 4242,
  comm: 'node',
  how: task === null ? "it neither descends from a task's agent on this host nor works in a task's worktree" : 'it runs in the session',
  worktree: null,
});

describe("a host's forwarded muster calls (RemoteCalls)", () => {
  it('serves a call as its task’s only when the task is placed on that very host', () => {
    const s = supervisor();
    s.calls.handle('far', s.client, open(1, 1));
    expect(s.adopted).toEqual([{ refusal: null, vouched: expect.objectContaining({ host: 'far', task: 1 }) }]);
  });

  it.each([
    ['a task of another host', 2, /runs on host near/],
    ['a task of this machine', 3, /runs on the supervisor’s machine/],
    ['a task that does not exist', 99, /does not exist/],
  ])('refuses a call that names %s, and records the claim', (_what, task, why) => {
    const s = supervisor();
    s.calls.handle('far', s.client, open(1, task));
    expect(s.adopted).toHaveLength(1);
    expect(s.adopted[0]!.vouched).toBeNull();
    expect(s.adopted[0]!.refusal).toMatch(why);
    expect(s.adopted[0]!.refusal).toMatch(/a host speaks only for the tasks placed on it/);
    expect(s.audited).toEqual([expect.objectContaining({ kind: 'operator-only-refused', details: expect.objectContaining({ claimed: task, host: 'far' }) })]);
  });

  it('refuses a call that comes from no task (it is never the operator’s)', () => {
    const s = supervisor();
    s.calls.handle('far', s.client, open(1, null));
    expect(s.adopted).toHaveLength(1);
    expect(s.adopted[0]!.vouched).toBeNull();
    expect(s.adopted[0]!.refusal).toMatch(/only the agents of the tasks placed there reach the supervisor/);
  });

  it('ignores an event it does not know instead of taking it for a call', () => {
    const s = supervisor();
    s.calls.handle('far', s.client, { e: 'call-something-new', ch: 1, task: 1 } as unknown as CallEvent);
    expect(s.adopted).toEqual([]);
    expect(s.sent).toEqual([]);
  });
});
