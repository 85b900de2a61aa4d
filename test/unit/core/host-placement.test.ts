import { describe, expect, it } from 'vitest';
import { planDispatch } from '../../../src/core/dispatch-plan.js';
import { placeTask, workersInUse, type HostCapacity } from '../../../src/core/host-placement.js';
import { workersLabel } from '../../../src/protocol/workers-label.js';
import { stateWith } from './build.js';

const machines: HostCapacity[] = [
  { name: null, maxWorkers: 1 },
  { name: 'b1', maxWorkers: 1 },
  { name: 'b2', maxWorkers: 2 },
];

describe('placeTask', () => {
  it('runs a task that names no host here while this machine has a free worker', () => {
    expect(placeTask({ host: null }, machines, new Map())).toEqual({ ok: true, host: null });
  });

  it('keeps a task whose worktree is on this machine here, waiting for a worker rather than moving it to a host', () => {
    const retried = { host: null, worktree: '/repo/.muster/worktrees/task-3' };
    expect(placeTask(retried, machines, new Map([[null, 1]]))).toEqual({ ok: false, reason: 'waits for a worker (its worktree is on this machine)' });
    expect(placeTask(retried, machines, new Map())).toEqual({ ok: true, host: null });
  });

  it('sends it to the host with the most free workers once this machine is full, the first in the config on a tie', () => {
    expect(placeTask({ host: null }, machines, new Map([[null, 1]]))).toEqual({ ok: true, host: 'b2' });
    expect(
      placeTask(
        { host: null },
        machines,
        new Map<string | null, number>([
          [null, 1],
          ['b2', 1],
        ]),
      ),
    ).toEqual({ ok: true, host: 'b1' });
  });

  it('passes over a host that cannot be reached now, and keeps a task that names it waiting for it', () => {
    const away = machines.map((m) => (m.name === 'b2' ? { ...m, reachable: false } : m));
    expect(placeTask({ host: null }, away, new Map([[null, 1]]))).toEqual({ ok: true, host: 'b1' });
    expect(
      placeTask(
        { host: null },
        away,
        new Map<string | null, number>([
          [null, 1],
          ['b1', 1],
        ]),
      ),
    ).toEqual({ ok: false, reason: 'waits for a worker' });
    expect(placeTask({ host: 'b2' }, away, new Map())).toEqual({ ok: false, reason: 'waits for host b2 to be reachable again' });
  });

  it('keeps a task that names a host on that host, waiting for a worker there even when others are free', () => {
    expect(placeTask({ host: 'b1' }, machines, new Map())).toEqual({ ok: true, host: 'b1' });
    expect(placeTask({ host: 'b1' }, machines, new Map([['b1', 1]]))).toEqual({ ok: false, reason: 'waits for a worker on b1' });
  });

  it('says so when the named host is not configured', () => {
    const r = placeTask({ host: 'gone' }, machines, new Map());
    expect(r).toEqual({ ok: false, reason: 'host "gone" is not under hosts: in the config; add it, or give the task another host' });
  });

  it('waits when every machine is full', () => {
    const busy = new Map<string | null, number>([
      [null, 1],
      ['b1', 1],
      ['b2', 2],
    ]);
    expect(placeTask({ host: null }, machines, busy)).toEqual({ ok: false, reason: 'waits for a worker' });
  });
});

describe('planDispatch with hosts', () => {
  it('fills this machine, then the hosts, counting each machine’s running tasks against its own cap', () => {
    const s = stateWith([{ state: 'running', host: 'b2' }, {}, {}, {}, {}, { host: 'b1' }]);
    const plan = planDispatch(s, { maxWorkers: 1, hosts: machines.slice(1) });
    // #2 here, #3 to b1 (b2 has one busy: one free each, b1 first), #4 to b2; #5 and #6 wait.
    expect(plan.start).toEqual([2, 3, 4]);
    expect(Object.fromEntries(plan.placed)).toEqual({ 2: null, 3: 'b1', 4: 'b2' });
    expect(plan.waiting.get(5)).toBe('waits for a worker');
    expect(plan.waiting.get(6)).toBe('waits for a worker on b1');
  });

  it('counts a task stalled on a host whose agent still runs there against that host’s cap', () => {
    const s = stateWith([{ state: 'stalled', host: 'b1' }, { host: 'b1' }, { state: 'stalled', host: 'b1' }, { host: 'b1' }]);
    // #1's agent runs on there (its session is open); #3's ended: it holds no worker.
    const sessions = (open: boolean) => [{ n: 1, agent: 'shell', pid: 42, pidStart: null, startedAt: '', endedAt: open ? null : 'x', exitCode: null }];
    const tasks = s.tasks.map((t) => (t.id === 1 ? { ...t, sessions: sessions(true) } : t.id === 3 ? { ...t, sessions: sessions(false) } : t));
    const plan = planDispatch({ ...s, tasks } as typeof s, { maxWorkers: 1, hosts: machines.slice(1) });
    expect(plan.start).toEqual([]);
    expect(plan.waiting.get(2)).toBe('waits for a worker on b1');
  });

  it('without hosts behaves as before: everything here', () => {
    const plan = planDispatch(stateWith([{}, {}]), { maxWorkers: 4 });
    expect(Object.fromEntries(plan.placed)).toEqual({ 1: null, 2: null });
  });
});

describe('workersInUse and how status shows them', () => {
  const session = (open: boolean) => [{ n: 1, agent: 'shell', pid: 42, pidStart: null, startedAt: '', endedAt: open ? null : 'x', exitCode: null }];

  it("counts a host's stalled task (its agent runs on there) against that host, never against this machine's cap", () => {
    // Four running here (the cap), one running on far, one stalled on far whose agent runs on, one stalled there whose agent ended.
    const s = stateWith([
      { state: 'running' },
      { state: 'running' },
      { state: 'running' },
      { state: 'running' },
      { state: 'running', host: 'far' },
      { state: 'stalled', host: 'far' },
      { state: 'stalled', host: 'far' },
    ]);
    const tasks = s.tasks.map((t) => (t.id === 6 ? { ...t, sessions: session(true) } : t.id === 7 ? { ...t, sessions: session(false) } : t));
    const busy = workersInUse(tasks as typeof s.tasks);
    expect(busy.get(null)).toBe(4);
    expect(busy.get('far')).toBe(2);
    // What status says: 4/4 here, far 2/2 — not 6/4.
    const label = workersLabel(
      { running: busy.get(null) ?? 0, max: 4, hosts: [{ name: 'far', running: busy.get('far') ?? 0, max: 2, reachable: false }] },
      ' running',
    );
    expect(label).toBe('4/4 running here · far 2/2 (away)');
  });

  it('shows only this machine when no host is configured (or the supervisor is older than host counts)', () => {
    expect(workersLabel({ running: 2, max: 4 }, ' running')).toBe('2/4 running');
    expect(workersLabel({ running: 2, max: 4, hosts: [] })).toBe('2/4');
    expect(workersLabel({ running: 1, max: 4, hosts: [{ name: 'b1', running: 0, max: 6, reachable: true }] })).toBe('1/4 · b1 0/6');
  });
});
