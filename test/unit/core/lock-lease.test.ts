import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renewLeases, restartLeases, settleLeases } from '../../../src/core/lock-lease.js';
import { conflictsFor, emptyLockTable, lockState, tryAcquire, type LockOwner, type LockTable } from '../../../src/core/lock-table.js';

const T0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const task = (id: number): LockOwner => ({ kind: 'task', task: id });
const LEASE = 120_000;

function holding(...grants: [LockOwner, string][]): LockTable {
  return grants.reduce((t, [owner, resource]) => {
    const r = tryAcquire(t, owner, [{ resource, mode: 'write' }], T0);
    if (!r.ok) throw new Error('expected a grant');
    return r.table;
  }, emptyLockTable());
}

/** Task 2 runs on a host; tasks 1 and 3 here. */
const onHost = (id: number): number | null => (id === 2 ? LEASE : null);

describe('lock leases of tasks on other hosts', () => {
  it('puts a lease only on the locks of tasks on a host, once', () => {
    const t = holding([task(1), 'a.txt'], [task(2), 'b.txt'], [{ kind: 'operator', pid: 7, startTime: null }, 'c.txt']);
    const first = settleLeases(t, onHost, T0);
    expect(first.started.map((l) => l.resource)).toEqual(['b.txt']);
    expect(first.table.locks.find((l) => l.resource === 'b.txt')?.leaseUntil).toBe(at(120));
    expect(first.table.locks.find((l) => l.resource === 'a.txt')?.leaseUntil).toBeUndefined();
    const again = settleLeases(first.table, onHost, at(30));
    expect(again.started).toEqual([]);
    expect(again.table).toBe(first.table);
  });

  it('takes the lease off once the task has no agent on the host any more (its locks are held as a local task holds them)', () => {
    const leased = settleLeases(holding([task(2), 'b.txt']), onHost, T0).table;
    const off = settleLeases(leased, () => null, at(300));
    expect(off.ended.map((l) => l.resource)).toEqual(['b.txt']);
    expect(lockState(off.table.locks[0]!, at(300))).toBe('active');
  });

  it('keeps a leased lock active within its lease and stale once it lapses; the stale lock still blocks', () => {
    const t = settleLeases(holding([task(2), 'b.txt']), onHost, T0).table;
    const lock = t.locks[0]!;
    expect(lockState(lock, at(119))).toBe('active');
    expect(lockState(lock, at(120))).toBe('stale');
    const c = conflictsFor(t, task(1), [{ resource: 'b.txt', mode: 'write' }], at(121));
    expect(c).toHaveLength(1);
    expect(c[0]!.stale).toBe(true);
  });

  it('renews the leases of the tasks the host names, and revives a lapsed one', () => {
    const t = settleLeases(holding([task(2), 'b.txt'], [task(3), 'c.txt']), (id) => (id === 1 ? null : LEASE), T0).table;
    const r = renewLeases(t, new Set([2]), LEASE, at(200));
    expect(r.renewed.map((l) => l.resource)).toEqual(['b.txt']);
    expect(r.revived.map((l) => l.resource)).toEqual(['b.txt']);
    expect(lockState(r.table.locks.find((l) => l.resource === 'b.txt')!, at(200))).toBe('active');
    // Not named by the host: its lease runs out.
    expect(lockState(r.table.locks.find((l) => l.resource === 'c.txt')!, at(200))).toBe('stale');
  });

  it('leaves a lease with more than half left as it is (no write for nothing)', () => {
    const t = settleLeases(holding([task(2), 'b.txt']), onHost, T0).table;
    const early = renewLeases(t, new Set([2]), LEASE, at(30));
    expect(early.renewed).toEqual([]);
    expect(early.table).toBe(t);
    const late = renewLeases(t, new Set([2]), LEASE, at(61));
    expect(late.renewed).toHaveLength(1);
    expect(late.revived).toEqual([]);
    expect(late.table.locks[0]!.leaseUntil).toBe(at(181));
  });

  it('cuts a lease longer than the configured one to the new length (the lease was shortened in the config)', () => {
    // Leased for an hour, then the config says 120 s: the next renewal holds it for 120 s from now, not for the rest of the hour.
    const t = settleLeases(holding([task(2), 'b.txt']), () => 3600_000, T0).table;
    const r = renewLeases(t, new Set([2]), LEASE, at(10));
    expect(r.renewed.map((l) => l.resource)).toEqual(['b.txt']);
    expect(r.table.locks[0]!.leaseUntil).toBe(at(130));
    // Lengthened instead: renewed once half of the new lease is left, as always.
    expect(renewLeases(r.table, new Set([2]), 3600_000, at(20)).table.locks[0]!.leaseUntil).toBe(at(3620));
  });

  it('never lets a lock lapse while its host renews at least every half lease', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: LEASE / 2 }), { minLength: 1, maxLength: 40 }), (gaps) => {
        let t = settleLeases(holding([task(2), 'b.txt']), onHost, T0).table;
        let now = Date.parse(T0);
        for (const gap of gaps) {
          now += gap;
          const iso = new Date(now).toISOString();
          if (lockState(t.locks[0]!, iso) !== 'active') return false;
          t = renewLeases(t, new Set([2]), LEASE, iso).table;
        }
        return true;
      }),
    );
  });

  it('gives every leased lock a full lease from a restart, lapsed or not: the host did nothing wrong while no supervisor ran', () => {
    const t = holding([task(1), 'a.txt'], [task(2), 'b.txt'], [task(2), 'c.txt']);
    const leased = settleLeases(t, onHost, T0).table;
    // The supervisor was down for 10 minutes: both leases lapsed meanwhile.
    const later = at(600);
    expect(leased.locks.filter((l) => lockState(l, later) === 'stale').map((l) => l.resource)).toEqual(['b.txt', 'c.txt']);
    const r = restartLeases(leased, onHost, later);
    expect(r.restarted.map((l) => l.resource)).toEqual(['b.txt', 'c.txt']);
    for (const l of r.table.locks.filter((l) => l.resource !== 'a.txt')) {
      expect(l.leaseUntil).toBe(at(720));
      expect(lockState(l, later)).toBe('active');
    }
    // A lock without a lease (a local task's) is left as it is; so is the table when nothing is leased.
    expect(r.table.locks.find((l) => l.resource === 'a.txt')?.leaseUntil).toBeUndefined();
    expect(restartLeases(t, onHost, later).table).toBe(t);
  });
});
