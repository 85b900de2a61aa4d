import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addedOrRemovedDirs,
  classifyConflicts,
  conflictsEqual,
  diffConflicts,
  dirPrefixes,
  listOf,
  lockFindings,
  mergeFindings,
  overlapPairs,
  portFindings,
  staleFindings,
  touchedPaths,
  undeclaredFindings,
  type Conflict,
  type FileChange,
  type TaskChanges,
} from '../../../src/core/conflicts.js';
import { matchesPath } from '../../../src/core/glob.js';
import { emptyLockTable, type Lock, type LockOwner, type LockTable } from '../../../src/core/lock-table.js';
import type { Risk } from '../../../src/core/task.js';

const T0 = '2026-01-01T00:00:00.000Z';
const A = (path: string): FileChange => ({ status: 'A', path });
const M = (path: string): FileChange => ({ status: 'M', path });
const D = (path: string): FileChange => ({ status: 'D', path });
const R = (oldPath: string, path: string): FileChange => ({ status: 'R', path, oldPath });

function changes(task: number, list: FileChange[], extra: Partial<TaskChanges> = {}): TaskChanges {
  return { task, risk: 'medium', writes: ['**'], reads: [], base: 'b0', changes: list, ...extra };
}

function lockTable(...locks: [LockOwner, string, 'read' | 'write', (string | null)?][]): LockTable {
  const made: Lock[] = locks.map(([owner, resource, mode, expiresAt]) => ({
    resource,
    mode,
    owner,
    acquiredAt: T0,
    expiresAt: expiresAt ?? null,
    declared: true,
  }));
  return { ...emptyLockTable(), locks: made };
}
const byTask = (task: number): LockOwner => ({ kind: 'task', task });

describe('touchedPaths and directory prefixes', () => {
  it('counts both sides of a rename, once each, sorted', () => {
    expect(touchedPaths([M('b.ts'), R('z/old.ts', 'a/new.ts'), M('b.ts')])).toEqual(['a/new.ts', 'b.ts', 'z/old.ts']);
  });

  it('lists the directories above a path, outermost first', () => {
    expect(dirPrefixes('a/b/c.ts')).toEqual(['a', 'a/b']);
    expect(dirPrefixes('top.ts')).toEqual([]);
  });

  it('puts added paths and the new side of a rename under added, deletions and the old side under removed', () => {
    expect(addedOrRemovedDirs([A('a/b/c.ts'), D('lib/old/x.ts'), M('m/n.ts'), R('r/old.ts', 's/new.ts')])).toEqual({
      added: ['a', 'a/b', 's'],
      removed: ['lib', 'lib/old', 'r'],
    });
  });
});

describe('overlapPairs', () => {
  it.each<[string, FileChange[], FileChange[], string[]]>([
    ['the same path', [M('src/api/user.ts')], [M('src/api/user.ts')], ['src/api/user.ts']],
    ['a file added where the other adds a directory', [A('x')], [A('x/y.ts')], ['x', 'x/y.ts']],
    ['a modification of a file the other deleted', [D('lib/old.ts')], [M('lib/old.ts')], ['lib/old.ts']],
    ['a modification of the old side of a rename', [R('a.ts', 'b.ts')], [M('a.ts')], ['a.ts']],
    ['an add on the new side of a rename', [R('a.ts', 'b.ts')], [A('b.ts')], ['b.ts']],
    ['a file deep under a file of the other', [M('src/x/y/z.ts')], [A('src/x')], ['src/x', 'src/x/y/z.ts']],
  ])('finds an overlap: %s', (_, one, two, paths) => {
    expect(overlapPairs([changes(1, one), changes(2, two)])).toMatchObject([{ a: 1, b: 2, paths }]);
  });

  it.each<[string, FileChange[], FileChange[]]>([
    ['disjoint files in the same directory', [M('src/a.ts')], [M('src/b.ts')]],
    ['new files side by side', [A('src/api/a.ts')], [A('src/api/b.ts')]],
    ['a name that only starts like the other', [A('src/a')], [A('src/ab/c.ts')]],
    ['deletions of neighbours', [D('lib/old.ts')], [A('lib/new.ts')]],
  ])('finds no overlap: %s', (_, one, two) => {
    expect(overlapPairs([changes(1, one), changes(2, two)])).toEqual([]);
  });

  it('flags a path inside a directory the other removed or created, when the adapter knows', () => {
    const removed = overlapPairs([changes(1, [D('lib/old/a.ts')], { removedDirs: ['lib/old/'] }), changes(2, [A('lib/old/c.ts')])]);
    expect(removed).toEqual([{ a: 1, b: 2, paths: ['lib/old/c.ts'], reasons: [{ kind: 'in-removed-dir', dir: 'lib/old', dirOf: 1, path: 'lib/old/c.ts' }] }]);
    const created = overlapPairs([changes(1, [A('src/feature/a.ts')], { createdDirs: ['src/feature'] }), changes(2, [A('src/feature/b.ts')])]);
    expect(created[0]?.reasons).toEqual([{ kind: 'in-created-dir', dir: 'src/feature', dirOf: 1, path: 'src/feature/b.ts' }]);
  });

  it('reports every pair of three tasks on one path, in id order', () => {
    const pairs = overlapPairs([changes(3, [M('p.ts')]), changes(1, [M('p.ts')]), changes(2, [M('p.ts')])]);
    expect(pairs.map((p) => [p.a, p.b])).toEqual([
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
  });

  it('never pairs a task with itself', () => {
    expect(overlapPairs([changes(1, [A('x'), A('x/y.ts'), D('x/z.ts')], { removedDirs: ['x'] })])).toEqual([]);
  });

  // A reference that compares every path of every pair: slow, obviously right.
  function naive(tasks: TaskChanges[]): { a: number; b: number; paths: string[] }[] {
    const out: { a: number; b: number; paths: string[] }[] = [];
    const under = (p: string, d: string): boolean => p.startsWith(`${d}/`);
    for (const x of tasks) {
      for (const y of tasks) {
        if (x.task >= y.task) continue;
        const px = touchedPaths(x.changes);
        const py = touchedPaths(y.changes);
        const paths = new Set<string>();
        for (const p of px)
          for (const q of py) {
            if (p === q) paths.add(p);
            if (under(p, q) || under(q, p)) (paths.add(p), paths.add(q));
          }
        for (const [mine, theirs] of [
          [px, y],
          [py, x],
        ] as const) {
          for (const d of [...(theirs.createdDirs ?? []), ...(theirs.removedDirs ?? [])]) for (const p of mine) if (under(p, d)) paths.add(p);
        }
        if (paths.size > 0) out.push({ a: x.task, b: y.task, paths: [...paths].sort() });
      }
    }
    return out;
  }

  it('agrees with the all-pairs reference on random change sets', () => {
    const path = fc.array(fc.constantFrom('a', 'b', 'x'), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
    const change = fc.oneof(
      fc.record({ status: fc.constantFrom<'A' | 'M' | 'D' | 'T'>('A', 'M', 'D', 'T'), path }),
      fc.record({ status: fc.constant<'R'>('R'), path, oldPath: path }),
    );
    const task = fc.record({
      changes: fc.array(change, { maxLength: 4 }),
      createdDirs: fc.array(path, { maxLength: 1 }),
      removedDirs: fc.array(path, { maxLength: 1 }),
    });
    fc.assert(
      fc.property(fc.array(task, { minLength: 1, maxLength: 4 }), (specs) => {
        const tasks = specs.map((s, i) => changes(i + 1, s.changes, { createdDirs: s.createdDirs, removedDirs: s.removedDirs }));
        expect(overlapPairs(tasks).map(({ a, b, paths }) => ({ a, b, paths }))).toEqual(naive(tasks));
      }),
    );
  });
});

describe('lockFindings', () => {
  it('names the path, the holder and its pattern', () => {
    const found = lockFindings([changes(4, [M('src/auth/login.ts'), M('src/api/x.ts')])], lockTable([byTask(2), 'src/auth/**', 'write']));
    expect(found).toEqual([
      { kind: 'lock', tasks: [4, 2], paths: ['src/auth/login.ts'], detail: '#4 changed src/auth/login.ts, write-locked by #2 (src/auth/**)' },
    ]);
  });

  it('ignores the task’s own locks and read locks of others', () => {
    const table = lockTable([byTask(4), 'src/**', 'write'], [byTask(2), 'src/auth/**', 'read']);
    expect(lockFindings([changes(4, [M('src/auth/login.ts')])], table)).toEqual([]);
  });

  it('counts both sides of a rename, operator locks, and marks a lapsed lock stale', () => {
    const table = lockTable([{ kind: 'operator', pid: 77, startTime: null }, 'src/types/index.ts', 'write', '2025-12-31T00:00:00.000Z']);
    const found = lockFindings([changes(5, [R('src/types/index.ts', 'src/types/all.ts')])], table, T0);
    expect(found).toEqual([
      {
        kind: 'lock',
        tasks: [5],
        paths: ['src/types/index.ts'],
        detail: '#5 changed src/types/index.ts, write-locked by operator pid 77 (src/types/index.ts, stale)',
      },
    ]);
  });

  it('matches globs, not just prefixes', () => {
    const table = lockTable([byTask(1), 'src/**/*.test.ts', 'write']);
    expect(lockFindings([changes(2, [M('src/a/b.test.ts'), M('src/a/b.ts')])], table)[0]?.paths).toEqual(['src/a/b.test.ts']);
  });
});

describe('pattern matching over many paths', () => {
  // Directories with many files take the directory-level shortcut; the answer must not change.
  const segment = fc.constantFrom(
    'src',
    'a',
    'b c',
    '*',
    '**',
    '*.ts',
    '*.test.ts',
    'a?',
    '[ab]',
    '{a,b}',
    'f1.ts',
    'x[1]',
    'x?1?',
    '{f1,f2}.ts',
    'f?.ts',
    '!f1.ts',
    '[s]rc',
    '[f]1.ts',
  );
  const pattern = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const dir = fc.array(fc.constantFrom('src', 'a', 'b', 'b c', 'x[1]'), { maxLength: 3 }).map((s) => s.join('/'));
  const files = fc
    .tuple(dir, fc.integer({ min: 0, max: 12 }), fc.constantFrom('.ts', '.test.ts', '', '.md'))
    .map(([d, n, ext]) => Array.from({ length: n }, (_, i) => (d ? `${d}/f${i}${ext}` : `f${i}${ext}`)));

  it('matches a one-character class across a whole directory of files', () => {
    const paths = Array.from({ length: 10 }, (_, i) => M(`src/f${i}.ts`));
    expect(lockFindings([changes(2, paths)], lockTable([byTask(1), '[s]rc/*.ts', 'write']))[0]?.paths).toHaveLength(10);
  });

  it('finds exactly the paths matchesPath matches', () => {
    fc.assert(
      fc.property(
        fc.array(files, { maxLength: 4 }).map((groups) => [...new Set(groups.flat())]),
        fc.array(pattern, { minLength: 1, maxLength: 3 }),
        (paths, patterns) => {
          const t = changes(2, paths.map(M), { writes: patterns });
          const expected = paths.filter((p) => !patterns.some((w) => matchesPath(w, p))).sort();
          expect(undeclaredFindings([t])[0]?.paths ?? []).toEqual(expected);
          const locked = paths.filter((p) => matchesPath(patterns[0]!, p)).sort();
          expect(lockFindings([t], lockTable([byTask(1), patterns[0]!, 'write']))[0]?.paths ?? []).toEqual(locked);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('undeclaredFindings', () => {
  const task = (risk: Risk, writes: string[], list: FileChange[]): TaskChanges => changes(6, list, { risk, writes });

  it('names the paths outside the declared writes', () => {
    expect(undeclaredFindings([task('medium', ['src/**'], [M('src/a.ts'), A('docs/x.md')])])).toEqual([
      { kind: 'undeclared', tasks: [6], paths: ['docs/x.md'], detail: '#6 (medium) changed docs/x.md outside its declared writes (src/**)' },
    ]);
  });

  it('exempts low-risk tasks', () => {
    expect(undeclaredFindings([task('low', [], [M('a.ts')])])).toEqual([]);
    expect(undeclaredFindings([task('low', ['src/**'], [M('a.ts')])])).toEqual([]);
  });

  it('reports nothing for a task that declared no writes: there is no declaration to be outside of', () => {
    const many = Array.from({ length: 40 }, (_, i) => M(`src/f${i}.ts`));
    expect(undeclaredFindings([task('medium', [], many), task('high', [], [A('docs/x.md')])])).toEqual([]);
    expect(undeclaredFindings([task('medium', [], many)], lockTable([byTask(6), 'docs/**', 'write']))).toEqual([]);
  });

  it('accepts paths under a write lock the task took at runtime', () => {
    const table = lockTable([byTask(6), 'docs/**', 'write']);
    expect(undeclaredFindings([task('medium', ['src/**'], [A('docs/x.md')])], table)).toEqual([]);
  });
});

describe('staleFindings', () => {
  const since = new Map([[3, ['src/api/user.ts', 'src/types/index.ts', 'README.md']]]);

  it('names the touched paths and read paths the target changed', () => {
    const t = changes(3, [M('src/api/user.ts')], { reads: ['src/types/**'] });
    expect(staleFindings([t], since, 'main')).toEqual([
      {
        kind: 'stale',
        tasks: [3],
        paths: ['src/api/user.ts', 'src/types/index.ts'],
        detail: 'main moved since #3 started: src/api/user.ts and src/types/index.ts changed there',
      },
    ]);
  });

  it('says nothing when the target moved elsewhere', () => {
    expect(staleFindings([changes(3, [M('src/other.ts')])], since, 'main')).toEqual([]);
  });
});

describe('portFindings and mergeFindings', () => {
  it('reports foreign holders once per task and ignores the task’s own processes', () => {
    const found = portFindings([
      { task: 3, port: 20001, pid: 4242, owner: 'foreign', command: 'python3' },
      { task: 3, port: 20001, pid: 4242, owner: 'foreign', command: 'python3' },
      { task: 4, port: 20010, pid: 99, owner: 'task' },
    ]);
    expect(found).toEqual([{ kind: 'port', tasks: [3], paths: [], detail: "port 20001 of #3's slot is held by pid 4242 (python3), outside the task" }]);
    const two = portFindings([
      { task: 3, port: 20003, pid: null, owner: 'foreign' },
      { task: 3, port: 20001, pid: 7, owner: 'foreign' },
    ]);
    expect(two[0]?.detail).toBe("ports of #3's slot are held by processes outside the task: 20001 by pid 7 and 20003 by an unknown process");
  });

  it('turns unclean merge-tree results into findings, against the target or another task', () => {
    expect(
      mergeFindings(
        [
          { a: 4, b: 'target', clean: false, paths: ['shared.txt'] },
          { a: 5, b: 2, clean: false, paths: [] },
          { a: 1, b: 2, clean: true, paths: [] },
        ],
        'main',
      ),
    ).toEqual([
      { kind: 'merge', tasks: [4], paths: ['shared.txt'], detail: '#4 conflicts with main in shared.txt' },
      { kind: 'merge', tasks: [2, 5], paths: [], detail: '#2 and #5 do not merge cleanly together' },
    ]);
  });
});

describe('classifyConflicts', () => {
  const input = {
    target: 'main',
    now: T0,
    tasks: [
      changes(5, [M('src/api/user.ts')], { writes: ['src/api/**'] }),
      changes(3, [M('src/api/user.ts'), M('docs/x.md')], { writes: ['src/**'] }),
      changes(4, [M('src/auth/login.ts')], { risk: 'low', writes: [] }),
    ],
    locks: lockTable([byTask(2), 'src/auth/**', 'write']),
    targetChangesSince: new Map([[3, ['src/api/user.ts']]]),
    merges: [{ a: 3, b: 5, clean: false, paths: ['src/api/user.ts'] }],
    ports: [{ task: 5, port: 20050, pid: 1, owner: 'foreign' as const }],
    scanFailures: [{ task: 6, error: 'git ls-files: index file smaller than expected' }],
  };

  it('combines every kind, ordered by kind and then tasks', () => {
    expect(classifyConflicts(input).map((c) => [c.kind, c.tasks, c.detail])).toEqual([
      ['overlap', [3, 5], '#3 and #5 both change src/api/user.ts'],
      ['merge', [3, 5], '#3 and #5 will conflict in src/api/user.ts when both are merged'],
      ['lock', [4, 2], '#4 changed src/auth/login.ts, write-locked by #2 (src/auth/**)'],
      ['undeclared', [3], '#3 (medium) changed docs/x.md outside its declared writes (src/**)'],
      ['stale', [3], 'main moved since #3 started: src/api/user.ts changed there'],
      ['port', [5], "port 20050 of #5's slot is held by pid 1, outside the task"],
      [
        'scan-failed',
        [6],
        "#6's worktree could not be scanned (git ls-files: index file smaller than expected); its conflicts are unknown until a scan succeeds",
      ],
    ]);
  });

  it('gives the same list whatever order the tasks come in', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(input.tasks, { minLength: 3, maxLength: 3 }), (tasks) => {
        expect(classifyConflicts({ ...input, tasks })).toEqual(classifyConflicts(input));
      }),
    );
  });

  it('tells equal sets apart from changed ones', () => {
    const one = classifyConflicts(input);
    expect(conflictsEqual(one, [...one].reverse())).toBe(true);
    const fewer = classifyConflicts({ ...input, scanFailures: [] });
    expect(conflictsEqual(one, fewer)).toBe(false);
    expect(diffConflicts(fewer, one)).toEqual({ added: [one.at(-1) as Conflict], removed: [] });
  });
});

describe('listOf', () => {
  it.each<[string[], string]>([
    [[], ''],
    [['a'], 'a'],
    [['a', 'b'], 'a and b'],
    [['a', 'b', 'c'], 'a, b and c'],
    [['a', 'b', 'c', 'd', 'e'], 'a, b, c and 2 more'],
  ])('lists %j as "%s"', (items, text) => {
    expect(listOf(items)).toBe(text);
  });
});
