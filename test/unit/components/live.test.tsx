import { afterEach, describe, expect, it } from 'vitest';
import { calledOnce, closeCockpits, listedIds, renderCockpit } from './cockpit.js';
import { FakeClient } from './fake-client.js';
import { liveTask, shopTasks, taskView } from './fixtures.js';

afterEach(closeCockpits);

const mergesHead = (f: string) => f.split('\n').find((l) => l.startsWith('Target main@')) ?? '';

describe('views follow the supervisor', () => {
  it('follows an approval step by step in the status line and the merges view, then names the next step by its key', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    await c.select(3);
    const release = c.client.hold('merge.approve');
    c.client.nextApproval = {
      steps: [],
      stop: {
        reason: 'gate-failed',
        message: 'Merge of #3 into main stopped: the test gate failed on the merged result, so main did not move.',
        gate: { name: 'test', output: 'FAIL docs.test.ts > links\n  expected 2 links, got 3\n' },
      },
    };
    await c.press('y');
    await c.until(() => c.statusLine() === '… merging #3', 'the approval in the status line');
    c.client.changeTask(3, { state: 'merging', reason: 'merging: gate test' });
    await c.until(() => c.statusLine() === '… merging #3: gate test…', 'the gate in the status line');
    await c.until(() => mergesHead(c.frame()).includes('merging #3 (gate test)'), 'the gate in the merges view');
    release();
    await c.waitFor(
      "Merge of #3 into main stopped: the test gate failed on the merged result, so main did not move. r sends it back to its agent with the gate's output.",
    );
    await c.until(() => !mergesHead(c.frame()).includes('merging'), 'the merge in flight to go');
    await c.waitFor(/│ FAIL docs\.test\.ts > links\n +│ {3}expected 2 links, got 3/);
  });

  it('drops the merge in flight from the merges view as soon as its task lands, without loading the queue again', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    c.client.changeTask(3, { state: 'merging', reason: 'merging: gate test' });
    await c.until(() => mergesHead(c.frame()).includes('merging #3 (gate test)'), 'the merge in flight');
    const stuck = c.client.hold('merge.list');
    c.client.changeTask(3, { state: 'merged', reason: 'landed on main at 7e57ab1' });
    await c.until(() => !mergesHead(c.frame()).includes('merging'), 'the merge in flight to go with its task event');
    stuck();
  });

  it("shows a task's findings as soon as a scan reports them, while the merges view stays open", async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    await c.select(3);
    await c.until(() => !c.frame().includes('overlap: '), 'no findings for #3');
    c.client.emit('conflicts', [{ kind: 'merge', tasks: [3], paths: ['docs/api/index.ts'], detail: '#3 conflicts with main in docs/api/index.ts' }]);
    await c.waitFor('merge: #3 conflicts with main in docs/api/index.ts');
    await c.waitFor(/^1 +#3 +medium +2 +2 +1 +Write API docs/m);
  });

  it('shows lock changes as the supervisor reports them', async () => {
    const c = await renderCockpit();
    await c.goto('locks');
    c.client.locks = [
      ...c.client.locks,
      { resource: 'docs/**', mode: 'write', owner: { task: 3 }, state: 'active', acquiredAt: new Date().toISOString(), expiresAt: null, declared: false },
    ];
    c.client.emit('locks', { count: c.client.locks.length });
    await c.waitFor(/^docs\/\*\* +write +#3 /m);
  });

  it('drops an answer that comes after a newer one: the merges view never goes back to an older queue', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    // An older load, held, and a newer one after a change: the older must not win.
    const older = c.client.hold('merge.list');
    c.client.emit('merges', { running: null });
    await c.until(() => c.client.callsOf('merge.list').length === 2, 'a reload');
    c.client.changeTask(3, { state: 'merged' });
    older();
    await c.until(() => listedIds(c).join() === '7', 'the queue without #3');
    c.client.emit('merges', { running: null });
    await c.until(() => c.client.callsOf('merge.list').length >= 3, 'another reload');
    await c.until(() => listedIds(c).join() === '7', 'still without #3');
  });
});

describe('what the cockpit says', () => {
  it('says where K and J moved a task, and when it cannot move further', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(5);
    await c.press('K');
    await c.waitFor('#5 moved up: 4 of 13 in the queue.');
    await c.select(1);
    await c.press('K');
    await c.waitFor('#1 is already first in the queue.');
    await c.goto('merges');
    await c.select(7);
    await c.press('K');
    await c.waitFor('#7 moved up: 1 of 2 in the merge queue.');
  });

  it('says that a task reassigned while dispatch is paused waits for p', async () => {
    const client = new FakeClient();
    client.paused = true;
    const c = await renderCockpit({ client });
    await c.select(1);
    await c.press('a');
    await c.waitFor('Reassign #1');
    for (let i = 0; i < 6; i++) await c.press('backspace');
    await c.type('codex');
    await c.press('enter');
    await calledOnce(c, 'task.assign', { id: 1, agent: 'codex' });
    await c.waitFor('#1 is now assigned to codex. Its agent stopped, and dispatch is paused: codex starts in the same worktree once dispatch resumes (p).');
  });

  it('opens a task in full from the tasks view with enter, failing part of its gate output first', async () => {
    const client = new FakeClient();
    const noise = Array.from({ length: 120 }, (_, i) => ` ✓ test/module-${i}.test.ts`).join('\n');
    client.results.set(3, {
      task: 3,
      at: new Date().toISOString(),
      landed: false,
      reason: 'gate-failed',
      message: 'Merge of #3 into main stopped: the test gate failed on the merged result, so main did not move.',
      gate: { name: 'test', output: `${noise}\n × docs > links resolve\n   → expected 2 links, got 3\n${noise}\n Tests  1 failed | 240 passed` },
      paths: [],
      gates: [{ name: 'test', ok: false }],
    });
    client.tasks.set(3, { ...client.tasks.get(3)!, summary: 'Documented every orders endpoint with examples.', reason: 'review: '.padEnd(300, 'x') });
    const c = await renderCockpit({ client, size: { cols: 120, rows: 60 } });
    await c.goto('tasks');
    await c.select(3);
    await c.press('enter');
    const f = await c.waitFor('Summary (from the agent)');
    expect(f).toContain('Documented every orders endpoint with examples.');
    expect(f).toMatch(/^Last merge attempt \(\d\d:\d\d\): Merge of #3 into main stopped: the test gate failed/m);
    expect(f).toContain("r sends it back to its agent with the gate's output.");
    expect(f).toMatch(/│ {2}× docs > links resolve\n +│ {4}→ expected 2 links, got 3/);
    expect(f).toContain('│  Tests  1 failed | 240 passed');
    // The whole reason, wrapped, not cut at a column.
    expect(
      f
        .split('\n')
        .filter((l) => /^(Reason| {10})x*$|xxxx/.test(l))
        .join('')
        .replace(/[^x]/g, '').length,
    ).toBe(292);
  });
});

describe('tables', () => {
  it('sizes the task columns by their content: a long reason gets the room a short title leaves', async () => {
    const reason = 'src/auth/login.ts overlaps src/auth/** held by #1 (write); src/cart/index.ts is held by #4';
    const client = new FakeClient([liveTask({ id: 1, title: 'Login', writes: ['src/auth/**'] }, 1), taskView({ id: 2, title: 'Cart', reason })]);
    const c = await renderCockpit({ client, size: { cols: 200, rows: 30 } });
    await c.goto('tasks');
    const row = c
      .frame()
      .split('\n')
      .find((l) => l.startsWith('#2 '))!;
    expect(row).toContain(reason);
    expect(row).toMatch(/Cart +src\/auth/);
    expect(row.indexOf('src/auth')).toBeLessThan(80);
  });

  it('lists conflicts by path: each path once, with every conflict on it', async () => {
    const client = new FakeClient(shopTasks());
    client.conflicts = [
      {
        kind: 'overlap',
        tasks: [1, 2],
        paths: ['src/auth/session.ts', 'src/auth/token.ts'],
        detail: '#1 and #2 both change src/auth/session.ts and src/auth/token.ts',
      },
      { kind: 'merge', tasks: [1, 2], paths: ['src/auth/session.ts'], detail: '#1 and #2 will conflict in src/auth/session.ts when both are merged' },
      { kind: 'port', tasks: [7], paths: [], detail: "port 3030 of #7's slot is held by pid 99, outside the task" },
    ];
    const c = await renderCockpit({ client });
    await c.goto('conflicts');
    const rows = c
      .frame()
      .split('\n')
      .slice(3, 7)
      .map((l) => l.replace(/ +/g, ' ').trim());
    expect(rows).toEqual([
      'src/auth/session.ts overlap #1 #2 #1 and #2 both change src/auth/session.ts and src/auth/token.ts',
      'merge #1 #2 #1 and #2 will conflict in src/auth/session.ts when both are merged',
      'src/auth/token.ts overlap #1 #2 #1 and #2 both change src/auth/session.ts and src/auth/token.ts',
      "(no path) port #7 port 3030 of #7's slot is held by pid 99, outside the task",
    ]);
    await c.press('j');
    await c.press('enter');
    await c.waitFor('task 1 of 2 (#1 #2), tab next');
    await c.press('esc');
    await c.until(() => c.currentView() === 'conflicts' && !c.frame().includes('task 1 of 2'), 'esc back to the conflicts list');
    expect(c.frame()).toContain('src/auth/token.ts');
  });
});
