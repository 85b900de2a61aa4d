import { describe, expect, it } from 'vitest';
import { emptyLockTable, tryAcquire, type LockTable } from '../../../src/core/lock-table.js';
import { decidePreEdit, type PreEditInput } from '../../../src/core/pre-edit.js';
import { T0 } from './build.js';

const MAIN = '/src/shop';
const WT = '/src/shop.worktrees';

function locks(...grants: { task: number; resource: string; mode?: 'read' | 'write'; declared?: boolean }[]): LockTable {
  let t = emptyLockTable();
  for (const g of grants) {
    const r = tryAcquire(t, { kind: 'task', task: g.task }, [{ resource: g.resource, mode: g.mode ?? 'write' }], T0, { declared: g.declared ?? true });
    if (!r.ok) throw new Error('fixture locks conflict');
    t = r.table;
  }
  return t;
}

function input(p: Partial<PreEditInput> & { path: string }): PreEditInput {
  return {
    task: { id: 3, risk: 'medium', worktree: `${WT}/task-3` },
    mainRoot: MAIN,
    worktrees: [{ task: 2, path: `${WT}/task-2` }],
    locks: emptyLockTable(),
    now: T0,
    tools: 'mcp',
    ...p,
  };
}

describe('decidePreEdit', () => {
  it('denies a path another task write-locks, naming the holder and the way forward', () => {
    const d = decidePreEdit(input({ path: `${WT}/task-3/src/api/users.ts`, locks: locks({ task: 2, resource: 'src/api/**' }) }));
    expect(d.kind).toBe('deny');
    expect(d.kind === 'deny' && d.reason).toContain('src/api/users.ts is write-locked by #2 (src/api/**)');
    expect(d.kind === 'deny' && d.reason).toContain('lock_acquire {"paths": ["src/api/users.ts"], "wait_seconds": 600}');
  });

  it("names a lock of no process (pid 0: an import, or one taken over ssh) as the operator's, and one of a process by its pid", () => {
    const held = (pid: number, startTime: string | null = null) => {
      const r = tryAcquire(emptyLockTable(), { kind: 'operator', pid, startTime }, [{ resource: 'shared.txt', mode: 'write' }], T0);
      if (!r.ok) throw new Error('fixture');
      const d = decidePreEdit(input({ path: `${WT}/task-3/shared.txt`, locks: r.table }));
      return d.kind === 'deny' ? d.reason : d.kind;
    };
    expect(held(0)).toContain('shared.txt is write-locked by the operator (shared.txt)');
    expect(held(4242, '123')).toContain('shared.txt is write-locked by operator pid 4242 (shared.txt)');
  });

  it('words the way forward for the CLI when the agent has no MCP tools', () => {
    const d = decidePreEdit(
      input({ path: `${WT}/task-3/a.ts`, tools: 'cli', task: { id: 3, risk: 'low', worktree: `${WT}/task-3` }, locks: locks({ task: 2, resource: 'a.ts' }) }),
    );
    expect(d.kind === 'deny' && d.reason).toContain('muster lock acquire "a.ts" --wait 600');
  });

  it('denies a low-risk task too when another task write-locks the path, but never takes locks for it', () => {
    const low = { id: 3, risk: 'low' as const, worktree: `${WT}/task-3` };
    expect(decidePreEdit(input({ task: low, path: `${WT}/task-3/x.ts`, locks: locks({ task: 2, resource: 'x.ts' }) })).kind).toBe('deny');
    expect(decidePreEdit(input({ task: low, path: `${WT}/task-3/y.ts` }))).toEqual({ kind: 'allow', path: 'y.ts' });
  });

  it('lets a medium task edit inside what it holds', () => {
    expect(decidePreEdit(input({ path: `${WT}/task-3/src/auth/login.ts`, locks: locks({ task: 3, resource: 'src/auth/**' }) }))).toEqual({
      kind: 'allow',
      path: 'src/auth/login.ts',
    });
  });

  it('takes the write lock for a medium or high task editing outside its declared writes when it is free', () => {
    for (const risk of ['medium', 'high'] as const) {
      const d = decidePreEdit(
        input({ task: { id: 3, risk, worktree: `${WT}/task-3` }, path: `${WT}/task-3/docs/new.md`, locks: locks({ task: 3, resource: 'src/**' }) }),
      );
      expect(d.kind).toBe('take-lock');
      if (d.kind !== 'take-lock') continue;
      expect(d.path).toBe('docs/new.md');
      expect(d.table.locks).toContainEqual(
        expect.objectContaining({ resource: 'docs/new.md', mode: 'write', owner: { kind: 'task', task: 3 }, declared: false }),
      );
    }
  });

  it('denies an undeclared edit whose lock another task is in the way of (a read lock counts)', () => {
    const d = decidePreEdit(input({ path: `${WT}/task-3/src/types.ts`, locks: locks({ task: 2, resource: 'src/types.ts', mode: 'read' }) }));
    expect(d.kind).toBe('deny');
    expect(d.kind === 'deny' && d.reason).toMatch(/outside #3's declared writes, and its lock cannot be taken: src\/types.ts held by #2 \(read\)/);
  });

  it.each([
    [
      "another task's worktree",
      `${WT}/task-2/src/a.ts`,
      /in the worktree of #2; every task edits only its own worktree\. Edit \/src\/shop.worktrees\/task-3\/src\/a.ts instead/,
    ],
    ['the main checkout', `${MAIN}/src/a.ts`, /in the operator's main checkout; agents never edit it\. Edit \/src\/shop.worktrees\/task-3\/src\/a.ts instead/],
    ['outside the repository', '/etc/passwd', /\/etc\/passwd is outside the repository; #3 edits only files in its worktree/],
    ["a sibling whose name extends the worktree's", `${WT}/task-33/a.ts`, /outside the repository/],
  ])('denies an edit in %s', (_name, path, reason) => {
    const d = decidePreEdit(input({ path }));
    expect(d.kind).toBe('deny');
    expect(d.kind === 'deny' && d.reason).toMatch(reason);
  });

  it('allows a file whose name has glob characters without a lock no pattern could name', () => {
    expect(decidePreEdit(input({ path: `${WT}/task-3/app/[id]/page.tsx` }))).toEqual({ kind: 'allow', path: 'app/[id]/page.tsx' });
  });
});
