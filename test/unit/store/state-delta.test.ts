import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDelta, diffState } from '../../../src/adapters/store/state-delta.js';

interface T {
  id: number;
  title: string;
}
interface S {
  version: number;
  paused: boolean;
  order: number[];
  tasks: T[];
  extra?: string;
}

/** Changes made the way the core makes them: new objects for what changed, the rest shared. */
type Op =
  | { kind: 'add'; title: string }
  | { kind: 'edit'; at: number; title: string }
  | { kind: 'remove'; at: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'pause' }
  | { kind: 'extra'; value: string | null };

function step(s: S, op: Op, nextId: () => number): S {
  switch (op.kind) {
    case 'add': {
      const id = nextId();
      return { ...s, tasks: [...s.tasks, { id, title: op.title }], order: [...s.order, id] };
    }
    case 'edit':
      if (!s.tasks.length) return s;
      return { ...s, tasks: s.tasks.map((t, i) => (i === op.at % s.tasks.length ? { ...t, title: op.title } : t)) };
    case 'remove':
      if (!s.tasks.length) return s;
      return { ...s, tasks: s.tasks.filter((_, i) => i !== op.at % s.tasks.length) };
    case 'swap': {
      if (s.tasks.length < 2) return s;
      const tasks = [...s.tasks];
      const [a, b] = [op.a % tasks.length, op.b % tasks.length];
      [tasks[a], tasks[b]] = [tasks[b]!, tasks[a]!];
      return { ...s, tasks };
    }
    case 'pause':
      return { ...s, paused: !s.paused };
    case 'extra': {
      if (op.value !== null) return { ...s, extra: op.value };
      const { extra: _, ...rest } = s;
      return rest;
    }
  }
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), title: fc.string() }),
  fc.record({ kind: fc.constant('edit' as const), at: fc.nat(), title: fc.string() }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('pause' as const) }),
  fc.record({ kind: fc.constant('extra' as const), value: fc.option(fc.string()) }),
);

const json = <V>(v: V): V => JSON.parse(JSON.stringify(v)) as V;

describe('state deltas', () => {
  it('rebuild every state from the one before it, read back from JSON as replay reads them', () => {
    fc.assert(
      fc.property(fc.array(fc.array(opArb, { maxLength: 4 }), { maxLength: 25 }), (batches) => {
        let id = 0;
        let live: S = { version: 1, paused: false, order: [], tasks: [] };
        let replayed = json(live) as unknown as Record<string, unknown>;
        for (const batch of batches) {
          // A batch is the changes of one group commit: one delta.
          const next = batch.reduce((s, op) => step(s, op, () => ++id), live);
          const delta = diffState(live, next);
          if (delta) replayed = applyDelta(replayed, json(delta));
          expect(replayed).toEqual(json(next));
          live = next;
        }
      }),
    );
  });

  it('holds only the changed task of an edit in place, and names no order', () => {
    const a = { id: 1, title: 'a' };
    const b = { id: 2, title: 'b' };
    const before = { version: 1, tasks: [a, b] };
    const after = { ...before, tasks: [a, { ...b, title: 'B' }] };
    expect(diffState(before, after)).toEqual({ tasks: [{ id: 2, title: 'B' }] });
    expect(diffState(before, before)).toBeNull();
  });

  it('refuses a delta that names a task the state before it does not have', () => {
    expect(() => applyDelta({ tasks: [] }, { taskIds: [7] })).toThrow(/names task 7, which the state before it does not have/);
  });
});
