import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import type { ConflictView } from '../../../src/protocol/shapes.js';
import { stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { clientFor, screenOf, waitForTask } from '../../helpers/supervisor.js';
import { waitFor } from '../../helpers/wait.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

const kinds = (cs: ConflictView[]) => cs.map((c) => `${c.kind} ${c.tasks.join(',')} ${c.paths.join(',')}`).sort();

/** Two agents that write as told and then keep running (their work stays uncommitted unless they commit). */
async function twoAgents(a: string, b: string, setup?: (r: TempRepo) => void): Promise<MusterClient> {
  repo = createAgentRepo();
  if (setup) {
    setup(repo);
    repo.commitAll('setup');
  }
  client = await clientFor(repo.dir);
  const ta = await client.call('task.add', { title: 'a', prompt: `${a}\n@print done-a\n@stay`, risk: 'low' });
  const tb = await client.call('task.add', { title: 'b', prompt: `${b}\n@print done-b\n@stay`, risk: 'low' });
  for (const t of [ta, tb]) await waitForTask(client, t.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
  // Their writes are done once they say so.
  for (const [t, word] of [
    [ta, 'done-a'],
    [tb, 'done-b'],
  ] as const)
    await waitFor(async () => (await screenOf(client!, t.id)).includes(word), { what: `${word} on screen` });
  return client;
}

async function scanUntil(c: MusterClient, pred: (cs: ConflictView[]) => boolean): Promise<ConflictView[]> {
  let last: ConflictView[] = [];
  return waitFor(
    async () => {
      last = await c.call('conflicts', { fresh: true });
      return pred(last) ? last : null;
    },
    { timeout: 30_000, interval: 100, what: 'the conflicts to match', describe: () => JSON.stringify(last, null, 1) },
  );
}

/** The conflict-found records of the audit log, as `kind tasks`. */
function auditedConflicts(dir: string): string[] {
  return readFileSync(join(dir, '.git', 'muster', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; details: { kind: string; tasks: number[] } })
    .filter((e) => e.kind === 'conflict-found')
    .map((e) => `${e.details.kind} ${e.details.tasks.join(',')}`);
}

describe('the conflict scan of a worktree it cannot simply snapshot', () => {
  it('sees the conflicts of a task whose worktree holds a repository without a commit, and new ones after', async () => {
    const c = await twoAgents('@write src/app.ts from a', '@write src/app.ts from b');
    const a = await c.call('task.show', { id: 1 });
    mkdirSync(join(a.worktree!, 'scaffold'));
    writeFileSync(join(a.worktree!, 'scaffold', 'app.ts'), 'scaffolded\n');
    execFileSync('git', ['init', '-q'], { cwd: join(a.worktree!, 'scaffold') });
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'merge'));
    expect(kinds(cs)).toEqual(['merge 1,2 src/app.ts', 'overlap 1,2 src/app.ts']);
    // A change made after that is seen too: the task is not stuck on an old result.
    const b = await c.call('task.show', { id: 2 });
    writeFileSync(join(a.worktree!, 'later.ts'), 'a\n');
    writeFileSync(join(b.worktree!, 'later.ts'), 'b\n');
    const after = await scanUntil(c, (x) => x.some((k) => k.paths.includes('later.ts')));
    expect(kinds(after)).toEqual(['merge 1,2 later.ts,src/app.ts', 'overlap 1,2 later.ts,src/app.ts']);
  });

  it('reports a scan that failed as scan-failed (once in the audit log), tries again, and finds the conflicts once it succeeds', async () => {
    const c = await twoAgents('@write src/app.ts from a', '@write src/app.ts from b');
    await scanUntil(c, (x) => x.some((k) => k.kind === 'merge'));
    const a = await c.call('task.show', { id: 1 });
    const index = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-path', 'index'], { cwd: a.worktree!, encoding: 'utf8' }).trim();
    const good = readFileSync(index);
    // What a git killed while writing its index could leave; the scan reads a copy of it.
    writeFileSync(index, 'not an index');
    writeFileSync(join(a.worktree!, 'src', 'app.ts'), 'from a, changed again\n');
    const failed = await scanUntil(c, (x) => x.some((k) => k.kind === 'scan-failed'));
    expect(kinds(failed)).toEqual(['scan-failed 1 ']);
    expect(failed[0]!.detail).toMatch(/^#1's worktree could not be scanned \(git ls-files: .*index.*\); its conflicts are unknown until a scan succeeds$/);
    for (let i = 0; i < 3; i++) expect(kinds(await c.call('conflicts', { fresh: true }))).toEqual(['scan-failed 1 ']);
    expect(auditedConflicts(repo!.dir).filter((k) => k.startsWith('scan-failed'))).toEqual(['scan-failed 1']);

    writeFileSync(index, good);
    const back = await scanUntil(c, (x) => !x.some((k) => k.kind === 'scan-failed'));
    expect(kinds(back)).toEqual(['merge 1,2 src/app.ts', 'overlap 1,2 src/app.ts']);
  });
});

describe('the conflict scan', () => {
  it('finds a content conflict in uncommitted work of two tasks', async () => {
    const c = await twoAgents('@write src/app.ts from a', '@write src/app.ts from b');
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'merge'));
    expect(kinds(cs)).toEqual(['merge 1,2 src/app.ts', 'overlap 1,2 src/app.ts']);
  });

  it('finds a modify/delete conflict', async () => {
    const c = await twoAgents('@write lib/old.ts changed', '@muster context show', (r) => r.write('lib/old.ts', 'original\n'));
    const b = await c.call('task.show', { id: 2 });
    execFileSync('git', ['rm', '-q', 'lib/old.ts'], { cwd: b.worktree! });
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'merge'));
    expect(kinds(cs)).toEqual(['merge 1,2 lib/old.ts', 'overlap 1,2 lib/old.ts']);
  });

  it('finds a rename against a modification', async () => {
    const c = await twoAgents('@write lib/a.ts modified by a', '@muster context show', (r) =>
      r.write('lib/a.ts', 'line one\nline two\nline three\nline four\n'),
    );
    const b = await c.call('task.show', { id: 2 });
    execFileSync('git', ['mv', 'lib/a.ts', 'lib/b.ts'], { cwd: b.worktree! });
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'overlap'));
    expect(cs.find((k) => k.kind === 'overlap')?.paths).toContain('lib/a.ts');
  });

  it('finds a rename/rename conflict: the same file moved to two different names', async () => {
    const c = await twoAgents('@muster context show', '@muster context show', (r) => r.write('lib/a.ts', 'line one\nline two\nline three\nline four\n'));
    const [a, b] = await Promise.all([c.call('task.show', { id: 1 }), c.call('task.show', { id: 2 })]);
    execFileSync('git', ['mv', 'lib/a.ts', 'lib/by-one.ts'], { cwd: a.worktree! });
    execFileSync('git', ['mv', 'lib/a.ts', 'lib/by-two.ts'], { cwd: b.worktree! });
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'merge' && k.tasks.join() === '1,2'));
    const merge = cs.find((k) => k.kind === 'merge' && k.tasks.join() === '1,2')!;
    expect(merge.paths.some((p) => p === 'lib/a.ts' || p.startsWith('lib/by-'))).toBe(true);
  });

  it('finds a file/directory conflict from untracked files', async () => {
    const c = await twoAgents('@write docs file', '@write docs/index.md a directory');
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'merge'));
    expect(cs.map((k) => k.kind).sort()).toEqual(['merge', 'overlap']);
  });

  it('reports no pair for tasks that touch disjoint files', async () => {
    const c = await twoAgents('@write src/a.ts a\n@commit a', '@write src/b.ts b');
    const first = await c.call('conflicts', { fresh: true });
    const second = await c.call('conflicts', { fresh: true });
    expect(first.filter((k) => k.kind === 'overlap' || k.kind === 'merge')).toEqual([]);
    expect(second.filter((k) => k.kind === 'overlap' || k.kind === 'merge')).toEqual([]);
  });

  it('reports stale only for the task whose files changed on the target', async () => {
    const c = await twoAgents('@write src/a.ts a', '@write src/b.ts b', (r) => {
      r.write('src/a.ts', 'original a\n');
      r.write('src/b.ts', 'original b\n');
    });
    repo!.write('src/a.ts', 'changed on main\n');
    repo!.commitAll('main moves a.ts');
    const cs = await scanUntil(c, (x) => x.some((k) => k.kind === 'stale'));
    expect(cs.filter((k) => k.kind === 'stale').map((k) => [k.tasks, k.paths])).toEqual([[[1], ['src/a.ts']]]);
  });

  it('reports a write-locked path changed by another task (a commit that bypassed the guard)', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const owner = await client.call('task.add', { title: 'owner', prompt: '@stay', writes: ['api/**'] });
    await waitForTask(client, owner.id, (x) => x.state === 'running', 'running');
    const other = await client.call('task.add', { title: 'trespasser', prompt: '@write api/x.ts mine\n@stay', writes: ['web/**'] });
    await waitForTask(client, other.id, (x) => x.state === 'running' && x.sessions[0]?.pid != null, 'running');
    const cs = await scanUntil(client, (x) => x.some((k) => k.kind === 'lock'));
    expect(cs.map((k) => k.kind).sort()).toEqual(['lock', 'undeclared']);
    expect(cs.find((k) => k.kind === 'lock')?.detail).toContain('api/x.ts');
  });

  it('keeps merge-tree and snapshot objects out of the repository', async () => {
    const c = await twoAgents('@write src/app.ts from a', '@write src/app.ts from b');
    await scanUntil(c, (x) => x.some((k) => k.kind === 'merge'));
    const loose = () => Number(/^(\d+) objects/.exec(execFileSync('git', ['count-objects'], { cwd: repo!.dir, encoding: 'utf8' }))?.[1]);
    const before = loose();
    for (let i = 0; i < 3; i++) {
      execFileSync('sh', ['-c', `echo ${i} >> src/app.ts`], { cwd: (await c.call('task.show', { id: 1 })).worktree! });
      await c.call('conflicts', { fresh: true });
    }
    expect(loose()).toBe(before);
  });
});
