import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planDispatch } from '../../../src/core/dispatch-plan.js';
import { emptyState } from '../../../src/core/state.js';
import { RISKS, TASK_STATES, type Task } from '../../../src/core/task.js';
import { stateWith } from './build.js';

describe('planDispatch', () => {
  it('starts ready tasks in queue order up to the free workers and says why the rest wait', () => {
    const s = { ...stateWith([{}, {}, { state: 'running' }, {}, {}]), order: [5, 1, 2, 3, 4] };
    const plan = planDispatch(s, { maxWorkers: 3 });
    expect(plan.start).toEqual([5, 1]);
    expect(plan.waiting.get(2)).toBe('waits for a worker');
    expect(plan.waiting.get(4)).toBe('waits for a worker');
  });

  it('counts a task in review whose agent still runs as a busy worker, and frees it when the agent has exited', () => {
    const session = (endedAt: string | null) => ({
      n: 1,
      agent: 'claude',
      pid: 42,
      pidStart: null,
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt,
      exitCode: null,
      signal: null,
      dismissed: false,
    });
    const base = stateWith([{ state: 'review' }, {}]);
    const live = { ...base, tasks: base.tasks.map((t) => (t.id === 1 ? { ...t, sessions: [session(null)] } : t)) };
    expect(planDispatch(live, { maxWorkers: 1 }).start).toEqual([]);
    expect(planDispatch(live, { maxWorkers: 1 }).waiting.get(2)).toBe('waits for a worker');
    const exited = { ...base, tasks: base.tasks.map((t) => (t.id === 1 ? { ...t, sessions: [session('2026-01-01T00:01:00.000Z')] } : t)) };
    expect(planDispatch(exited, { maxWorkers: 1 }).start).toEqual([2]);
  });

  it('starts nothing while paused', () => {
    const plan = planDispatch({ ...stateWith([{}, {}]), paused: true }, { maxWorkers: 4 });
    expect(plan.start).toEqual([]);
    expect(plan.waiting.get(1)).toBe('dispatch paused');
  });

  it('runs a high-risk task alone: it waits for running tasks, and tasks behind it wait for it', () => {
    const s = stateWith([{ state: 'running' }, { risk: 'high' }, { risk: 'low' }]);
    const plan = planDispatch(s, { maxWorkers: 4 });
    expect(plan.start).toEqual([]);
    expect(plan.waiting.get(2)).toBe('high risk: waits for the running tasks to finish');
    expect(plan.waiting.get(3)).toBe('waits behind high-risk #2');
  });

  it('starts a high-risk task when nothing runs, and nothing after it', () => {
    const plan = planDispatch(stateWith([{ risk: 'high' }, { risk: 'low' }]), { maxWorkers: 4 });
    expect(plan.start).toEqual([1]);
    expect(plan.waiting.get(2)).toBe('waits for high-risk #1 to finish (it runs alone)');
  });

  it('lets tasks queued before a waiting high-risk task start', () => {
    const s = stateWith([{ state: 'running' }, {}, { risk: 'high' }, {}]);
    expect(planDispatch(s, { maxWorkers: 4 }).start).toEqual([2]);
  });

  it('grants locks all at once and threads them through the pass', () => {
    const s = stateWith([{ writes: ['a'] }, { writes: ['a'] }, { writes: ['b'] }]);
    const plan = planDispatch(s, {
      maxWorkers: 4,
      locks: new Set<string>(),
      acquire: (task, held) => {
        const clash = task.writes.find((w) => held.has(w));
        return clash ? { ok: false, reason: `${clash} held` } : { ok: true, acc: new Set([...held, ...task.writes]) };
      },
    });
    expect(plan.start).toEqual([1, 3]);
    expect(plan.waiting.get(2)).toBe('a held');
    expect([...(plan.locks ?? [])]).toEqual(['a', 'b']);
  });

  const arbitraryState = fc.array(fc.record({ state: fc.constantFrom(...TASK_STATES), risk: fc.constantFrom(...RISKS) }), { maxLength: 12 }).chain((specs) =>
    fc.tuple(
      fc.constant(specs),
      fc.shuffledSubarray(
        specs.map((_, i) => i + 1),
        { minLength: specs.length },
      ),
      fc.boolean(),
    ),
  );

  it('never exceeds the workers, never starts a task twice or a task that is not ready, and runs high risk alone', () => {
    fc.assert(
      fc.property(arbitraryState, fc.integer({ min: 1, max: 6 }), ([specs, order, paused], maxWorkers) => {
        const s = { ...stateWith(specs, emptyState()), order, paused };
        const plan = planDispatch(s, { maxWorkers });
        const byId = new Map(s.tasks.map((t) => [t.id, t]));
        const running = s.tasks.filter((t) => t.state === 'running');
        const started = plan.start.map((id) => byId.get(id) as Task);
        expect(new Set(plan.start).size).toBe(plan.start.length);
        expect(started.every((t) => t.state === 'ready')).toBe(true);
        if (running.length + started.length > maxWorkers) expect(started).toEqual([]);
        const all = [...running, ...started];
        if (all.some((t) => t.risk === 'high') && started.length) expect(all).toHaveLength(1);
        if (paused) expect(started).toEqual([]);
        // Every ready task is either started or has a reason.
        for (const t of s.tasks) if (t.state === 'ready') expect(plan.start.includes(t.id) || plan.waiting.has(t.id)).toBe(true);
        // Queue order: a ready task only starts if no earlier ready task waits for a worker.
        const ready = order.map((id) => byId.get(id)!).filter((t) => t.state === 'ready');
        const firstWaiting = ready.findIndex((t) => plan.waiting.get(t.id) === 'waits for a worker');
        if (firstWaiting >= 0) for (const t of ready.slice(firstWaiting)) expect(plan.start).not.toContain(t.id);
      }),
      { numRuns: 500 },
    );
  });
});
