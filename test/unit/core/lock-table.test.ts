import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patternsOverlap } from '../../../src/core/glob.js';
import {
  cancelWaiter,
  conflictsFor,
  describeConflict,
  emptyLockTable,
  enqueue,
  expireWaiters,
  grantWaiters,
  lockState,
  release,
  releaseOwner,
  sameOwner,
  steal,
  tryAcquire,
  writeLockedByOthers,
  type LockMode,
  type LockOwner,
  type LockRequest,
  type LockTable,
} from '../../../src/core/lock-table.js';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const task = (id: number): LockOwner => ({ kind: 'task', task: id });
const operator = (pid: number, startTime: string | null = 'Thu Jan  1 00:00:00 2026'): LockOwner => ({ kind: 'operator', pid, startTime });
const write = (resource: string): LockRequest => ({ resource, mode: 'write' });
const read = (resource: string): LockRequest => ({ resource, mode: 'read' });

/** Inputs are frozen so that any mutation by the lock table throws. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function acquired(table: LockTable, owner: LockOwner, requests: LockRequest[], now = T0, ttlMs: number | null = null): LockTable {
  const r = tryAcquire(deepFreeze(table), owner, requests, now, { ttlMs });
  if (!r.ok) throw new Error(`expected a grant, got ${r.conflicts.map(describeConflict).join('; ')}`);
  return r.table;
}

function holding(...grants: [LockOwner, LockRequest[]][]): LockTable {
  return grants.reduce((t, [owner, requests]) => acquired(t, owner, requests), emptyLockTable());
}

describe('tryAcquire conflicts', () => {
  it.each<[string, LockMode, string, LockMode, boolean]>([
    ['src/a.ts', 'write', 'src/a.ts', 'write', true],
    ['src/a.ts', 'read', 'src/a.ts', 'read', false],
    ['src/a.ts', 'read', 'src/a.ts', 'write', true],
    ['src/a.ts', 'write', 'src/a.ts', 'read', true],
    ['src/auth/**', 'write', 'src/auth/login.ts', 'read', true],
    ['src/auth/**', 'write', 'src/authz/x.ts', 'write', false],
    ['src/**/*.ts', 'write', 'src/api/*', 'write', true],
    ['src/*.test.ts', 'write', 'src/*.spec.ts', 'write', false],
    ['src/**', 'read', 'src/**/*.ts', 'read', false],
  ])('%s (%s) held by #1 against %s (%s) from #2: conflict %s', (held, heldMode, wanted, mode, conflicts) => {
    const table = holding([task(1), [{ resource: held, mode: heldMode }]]);
    const r = tryAcquire(table, task(2), [{ resource: wanted, mode }], T0);
    expect(r.ok).toBe(!conflicts);
    if (!r.ok) expect(r.conflicts).toEqual([{ resource: wanted, mode, holder: task(1), heldResource: held, heldMode, stale: false }]);
  });

  it('never lets an owner conflict with itself', () => {
    const table = holding([task(1), [write('src/**')]]);
    expect(tryAcquire(table, task(1), [write('src/a.ts'), read('src/b/**')], T0).ok).toBe(true);
  });

  it('tells apart operators with the same pid but a different start time (a reused pid)', () => {
    const table = holding([operator(42, 'Thu 10:00'), [write('docs/**')]]);
    expect(tryAcquire(table, operator(42, 'Thu 11:30'), [write('docs/a.md')], T0).ok).toBe(false);
    expect(tryAcquire(table, operator(42, 'Thu 10:00'), [write('docs/a.md')], T0).ok).toBe(true);
    expect(sameOwner(operator(42, null), operator(42, 'Thu 10:00'))).toBe(false);
  });

  it('names every conflicting holder for every requested resource', () => {
    const table = holding([task(1), [write('a.txt')]], [task(2), [read('b/**')]], [task(3), [read('b/x')]], [task(5), [write('c/**')]]);
    const r = tryAcquire(table, task(4), [write('a.txt'), write('b/x'), read('d')], T0);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.conflicts.map(describeConflict)).toEqual(['a.txt held by #1 (write)', 'b/x overlaps b/** held by #2 (read)', 'b/x held by #3 (read)']);
  });

  it('grants all or nothing: one conflicting resource leaves the table as it was', () => {
    const table = holding([task(1), [write('a.txt')]]);
    const before = structuredClone(table);
    const r = tryAcquire(table, task(2), [write('free.txt'), write('a.txt')], T0);
    expect(r.ok).toBe(false);
    expect(table).toEqual(before);
    expect(conflictsFor(table, task(3), [write('free.txt')], T0)).toEqual([]);
  });

  it('refreshes the expiry when an owner takes again what it holds, without a second lock', () => {
    const first = acquired(emptyLockTable(), task(1), [write('a')], T0, 60_000);
    const again = tryAcquire(first, task(1), [write('a')], at(30), { ttlMs: 60_000 });
    expect(again.ok && again.table.locks).toEqual([expect.objectContaining({ resource: 'a', acquiredAt: T0, expiresAt: at(90) })]);
  });

  it('upgrades a read to a write when nobody else reads, and refuses while someone does', () => {
    const alone = holding([task(1), [read('a')]]);
    const up = tryAcquire(alone, task(1), [write('a')], T0);
    expect(up.ok && up.table.locks.map((l) => l.mode)).toEqual(['write']);
    const shared = holding([task(1), [read('a')]], [task(2), [read('a')]]);
    const refused = tryAcquire(shared, task(1), [write('a')], T0);
    expect(!refused.ok && refused.conflicts.map(describeConflict)).toEqual(['a held by #2 (read)']);
  });

  it('keeps a write when its owner asks to read the same resource', () => {
    const r = tryAcquire(holding([task(1), [write('a')]]), task(1), [read('a')], T0);
    expect(r.ok && r.table.locks.map((l) => l.mode)).toEqual(['write']);
  });

  it('keeps a declared lock off the clock when a runtime lock on it adds a TTL', () => {
    const declared = tryAcquire(emptyLockTable(), task(1), [write('a')], T0, { declared: true });
    const table = declared.ok ? declared.table : emptyLockTable();
    const r = tryAcquire(table, task(1), [write('a')], T0, { ttlMs: 1000 });
    expect(r.ok && r.table.locks).toEqual([expect.objectContaining({ declared: true, expiresAt: null })]);
  });
});

describe('TTL and stale locks', () => {
  const table = acquired(emptyLockTable(), task(1), [write('src/auth/**')], T0, 60_000);
  const lock = table.locks[0]!;

  it('turns a lock stale when its TTL lapses', () => {
    expect(lock.expiresAt).toBe(at(60));
    expect(lockState(lock, at(59))).toBe('active');
    expect(lockState(lock, at(60))).toBe('stale');
  });

  it('keeps blocking with a stale lock: expired is not free', () => {
    const r = tryAcquire(table, task(2), [write('src/auth/a.ts')], at(61));
    expect(!r.ok && r.conflicts.map(describeConflict)).toEqual(['src/auth/a.ts overlaps src/auth/** held by #1 (write, stale)']);
    expect(tryAcquire(table, task(2), [write('src/auth/a.ts')], at(61), { canTakeOver: () => false }).ok).toBe(false);
  });

  it('takes over a stale lock when the caller says its holder has not touched it', () => {
    const r = tryAcquire(table, task(2), [write('src/auth/a.ts')], at(61), { canTakeOver: () => true });
    expect(r.ok && r.tookOver).toEqual([lock]);
    expect(r.ok && r.table.locks.map((l) => l.owner)).toEqual([task(2)]);
  });

  it('never takes over a lock that is still active', () => {
    expect(tryAcquire(table, task(2), [write('src/auth/a.ts')], at(10), { canTakeOver: () => true }).ok).toBe(false);
  });
});

describe('waiting in the queue', () => {
  it('lets no try-lock overtake an earlier conflicting waiter, but lets disjoint ones through', () => {
    let table = holding([task(1), [read('x/**')]]);
    table = enqueue(table, task(2), [write('x/**')], T0, 30_000, null).table;
    const c = tryAcquire(table, task(3), [read('x/a')], T0);
    expect(!c.ok && c.conflicts.map(describeConflict)).toEqual(['x/a overlaps x/** queued earlier by #2 (write)']);
    expect(tryAcquire(table, task(4), [write('y')], T0).ok).toBe(true);
  });

  it('grants waiters in FIFO order, letting a non-conflicting later one pass a blocked one', () => {
    let table = holding([task(1), [write('x')]]);
    for (const [owner, resource] of [
      [2, 'x'],
      [3, 'x'],
      [4, 'y'],
    ] as const)
      table = enqueue(table, task(owner), [write(resource)], T0, 60_000, null).table;
    const first = grantWaiters(table, at(1));
    expect(first.granted.map((g) => g.owner)).toEqual([task(4)]);
    const second = grantWaiters(release(first.table, task(1), 'all').table, at(2));
    expect(second.granted.map((g) => g.owner)).toEqual([task(2)]);
    expect(second.table.waiters.map((w) => w.owner)).toEqual([task(3)]);
    const third = grantWaiters(release(second.table, task(2), 'all').table, at(3));
    expect(third.granted).toEqual([{ waiterId: 2, owner: task(3), locks: [expect.objectContaining({ resource: 'x', mode: 'write', acquiredAt: at(3) })] }]);
  });

  it('holds back a reader queued behind a writer even when the holders would let it in', () => {
    let table = holding([task(1), [read('x')]]);
    table = enqueue(table, task(2), [write('x')], T0, 60_000, null).table;
    table = enqueue(table, task(3), [read('x')], T0, 60_000, null).table;
    expect(grantWaiters(table, at(1)).granted).toEqual([]);
    const after = grantWaiters(releaseOwner(table, task(1)).table, at(2));
    expect(after.granted.map((g) => g.owner)).toEqual([task(2)]);
  });

  it('grants queued readers together once the writer leaves', () => {
    let table = holding([task(1), [write('x')]]);
    table = enqueue(table, task(2), [read('x')], T0, 60_000, 5_000).table;
    table = enqueue(table, task(3), [read('x')], T0, 60_000, null).table;
    const r = grantWaiters(release(table, task(1), ['x']).table, at(10));
    expect(r.granted.map((g) => g.owner)).toEqual([task(2), task(3)]);
    expect(r.granted[0]!.locks[0]!.expiresAt).toBe(at(15));
  });

  it('expires a waiter at its deadline, and an expired waiter blocks nobody', () => {
    let table = holding([task(1), [read('x')]]);
    table = enqueue(table, task(2), [write('x')], T0, 10_000, null).table;
    table = enqueue(table, task(3), [read('x')], T0, 60_000, null).table;
    expect(expireWaiters(table, at(9)).expired).toEqual([]);
    expect(grantWaiters(table, at(10)).granted.map((g) => g.owner)).toEqual([task(3)]);
    const r = expireWaiters(table, at(10));
    expect(r.expired.map((w) => w.owner)).toEqual([task(2)]);
    expect(r.table.waiters.map((w) => w.owner)).toEqual([task(3)]);
  });

  it('unblocks later waiters when an earlier one is cancelled', () => {
    let table = holding([task(1), [read('x')]]);
    const queued = enqueue(table, task(2), [write('x')], T0, 60_000, null);
    table = enqueue(queued.table, task(3), [read('x')], T0, 60_000, null).table;
    const cancelled = cancelWaiter(table, queued.waiterId);
    expect(cancelled.cancelled?.owner).toEqual(task(2));
    expect(grantWaiters(cancelled.table, at(1)).granted.map((g) => g.owner)).toEqual([task(3)]);
  });
});

describe('release', () => {
  const table = holding([task(1), [write('a'), read('src/**'), write('src/a.ts')]], [task(2), [write('b')]]);

  it('releases the named resources and says which were not held', () => {
    const r = release(table, task(1), ['a', 'b', 'nope']);
    expect(r.released.map((l) => l.resource)).toEqual(['a']);
    expect(r.notHeld).toEqual(['b', 'nope']);
    expect(r.table.locks.map((l) => l.resource)).toEqual(['src/**', 'src/a.ts', 'b']);
  });

  it('releases only the exact resource, not separate locks beneath it', () => {
    expect(release(table, task(1), ['src/**']).table.locks.map((l) => l.resource)).toEqual(['a', 'src/a.ts', 'b']);
  });

  it('releases all of one owner and nobody else', () => {
    const r = release(table, task(1), 'all');
    expect(r.released).toHaveLength(3);
    expect(r.table.locks.map((l) => l.owner)).toEqual([task(2)]);
  });

  it('drops an ended owner’s locks and queued requests', () => {
    const queued = enqueue(enqueue(table, task(1), [write('b')], T0, 1000, null).table, task(3), [write('b')], T0, 1000, null).table;
    const r = releaseOwner(queued, task(1));
    expect(r.released).toHaveLength(3);
    expect(r.cancelled.map((w) => w.owner)).toEqual([task(1)]);
    expect(r.table.waiters.map((w) => w.owner)).toEqual([task(3)]);
  });
});

describe('steal', () => {
  it('takes every overlapping lock of any mode for the operator and leaves the rest', () => {
    const table = holding([task(5), [write('src/auth/login.ts')]], [task(6), [read('src/*/*.md')]], [task(7), [write('lib/**')]]);
    const me = operator(99);
    const r = steal(table, 'src/auth/**', me, at(5));
    expect(r.stolen.map((l) => l.owner)).toEqual([task(5), task(6)]);
    expect(r.table.locks.map((l) => [l.owner, l.resource, l.mode])).toEqual([
      [task(7), 'lib/**', 'write'],
      [me, 'src/auth/**', 'write'],
    ]);
    expect(conflictsFor(r.table, task(5), [read('src/auth/login.ts')], at(6)).map(describeConflict)).toEqual([
      'src/auth/login.ts overlaps src/auth/** held by operator pid 99 (write)',
    ]);
  });
});

describe('writeLockedByOthers', () => {
  const table = holding([task(5), [write('src/auth/**')]], [task(6), [read('src/api/**')]]);

  it('names the files of a commit that fall under another task’s write lock', () => {
    const hits = writeLockedByOthers(table, task(7), ['src/auth/a.ts', 'src/api/b.ts', 'README.md']);
    expect(hits.map((h) => [h.path, h.lock.owner])).toEqual([['src/auth/a.ts', task(5)]]);
    expect(writeLockedByOthers(table, task(5), ['src/auth/a.ts'])).toEqual([]);
  });

  it('still guards files under a stale write lock', () => {
    const stale = acquired(emptyLockTable(), task(5), [write('a/**')], T0, 1000);
    expect(writeLockedByOthers(stale, task(6), ['a/b'])).toHaveLength(1);
  });
});

describe('lock table properties', () => {
  const owners = [task(1), task(2), task(3), operator(9, 'early'), operator(9, 'late')];
  const resources = ['a/**', 'a/b', 'a/*.ts', 'a/b.ts', 'b/**', '**/x', 'b/x', '*', '{a,b}/c'];
  const ownerArb = fc.constantFrom(...owners);
  const requestsArb = fc.array(fc.record({ resource: fc.constantFrom(...resources), mode: fc.constantFrom<LockMode>('read', 'write') }), {
    minLength: 1,
    maxLength: 3,
  });
  const opArb = fc.oneof(
    fc.record({
      op: fc.constant('acquire' as const),
      owner: ownerArb,
      requests: requestsArb,
      ttl: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
      takeOver: fc.boolean(),
    }),
    fc.record({ op: fc.constant('enqueue' as const), owner: ownerArb, requests: requestsArb, wait: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ op: fc.constant('grant' as const), takeOver: fc.boolean() }),
    fc.record({ op: fc.constant('expire' as const) }),
    fc.record({ op: fc.constant('release' as const), owner: ownerArb, resources: fc.subarray(resources) }),
    fc.record({ op: fc.constant('release-owner' as const), owner: ownerArb }),
    fc.record({ op: fc.constant('steal' as const), owner: ownerArb, resource: fc.constantFrom(...resources) }),
    fc.record({ op: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 3 }) }),
  );

  it('never leaves two conflicting locks of different owners in the table', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60 }), (ops) => {
        let table = deepFreeze(emptyLockTable());
        let clock = 0;
        for (const step of ops) {
          const now = at(clock);
          if (step.op === 'acquire') {
            const before = structuredClone(table);
            const r = tryAcquire(table, step.owner, step.requests, now, {
              ttlMs: step.ttl === null ? null : step.ttl * 1000,
              canTakeOver: () => step.takeOver,
            });
            if (r.ok) table = r.table;
            else expect(table).toEqual(before);
          } else if (step.op === 'enqueue') table = enqueue(table, step.owner, step.requests, now, step.wait * 1000, null).table;
          else if (step.op === 'grant') table = grantWaiters(table, now, () => step.takeOver).table;
          else if (step.op === 'expire') table = expireWaiters(table, now).table;
          else if (step.op === 'release') table = release(table, step.owner, step.resources).table;
          else if (step.op === 'release-owner') table = releaseOwner(table, step.owner).table;
          else if (step.op === 'steal') table = steal(table, step.resource, step.owner, now).table;
          else clock += step.seconds;
          table = deepFreeze(table);
          for (const [i, a] of table.locks.entries()) {
            for (const b of table.locks.slice(i + 1)) {
              if (sameOwner(a.owner, b.owner)) {
                expect(a.resource).not.toBe(b.resource);
                continue;
              }
              const clash = (a.mode === 'write' || b.mode === 'write') && patternsOverlap(a.resource, b.resource);
              expect(clash, `${a.resource} (${a.mode}) and ${b.resource} (${b.mode})`).toBe(false);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
