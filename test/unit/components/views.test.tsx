import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, renderCockpit, strip } from './cockpit.js';
import { themeFor } from '../../../components/theme.js';
import { DEFAULT_BINDINGS, helpSections } from '../../../src/keymap/index.js';
import { FakeClient } from './fake-client.js';
import { shopTasks, taskView } from './fixtures.js';

afterEach(closeCockpits);

const RED = '\x1b[31m';
const lineWith = (raw: string, text: string) => raw.split('\n').find((l) => strip(l).includes(text)) ?? '';

describe('header', () => {
  it('shows repository, target and tip, workers, tasks per state, blockers, conflicts and waiting agents', async () => {
    const c = await renderCockpit();
    const f = c.frame();
    expect(f).toContain('muster · shop · main@9f8e7d6 · workers 2/4');
    expect(f).toContain('2 running · 2 review · 6 ready · 2 backlog · 1 failed · 1 merged │ blockers 1 · conflicts 1 · waiting 1');
    expect(f).toMatch(/1 agents 2 tasks 3 locks 4 conflicts 5 merges 6 context/);
    expect(c.currentView()).toBe('agents');
  });

  it('shows, in red, that the config on disk was not applied, as soon as the supervisor says so', async () => {
    const c = await renderCockpit({ size: { cols: 260, rows: 30 } });
    c.client.configError = '.muster/config.yaml:4 parallel.max_workers: expected a positive integer, received "four"';
    c.client.emit('config', { error: c.client.configError });
    await c.waitFor('│ config not applied: .muster/config.yaml:4 parallel.max_workers: expected a positive integer, received "four"');
    expect(lineWith(c.rawFrame(), 'config not applied')).toContain(RED);
    c.client.configError = null;
    c.client.emit('config', { error: null });
    await c.until(() => !c.frame().includes('config not applied'), 'the config problem to go');
  });

  it('says PAUSED once dispatch is paused on the supervisor', async () => {
    const c = await renderCockpit();
    c.client.paused = true;
    c.client.emit('queue', { order: c.client.order, paused: c.client.paused });
    await c.waitFor('workers 2/4 · PAUSED');
  });
});

describe('agents view', () => {
  it('lists each agent with a live terminal, and each exited one with how it ended until it is retried, merged or put away', async () => {
    const c = await renderCockpit();
    const body = c.frame().split('\n').slice(2, 8);
    expect(body).toEqual([
      expect.stringMatching(/^#1 Add rate limiting to login · claude · working/),
      expect.stringMatching(/^#2 Fix flaky checkout test · codex · waiting-input/),
      expect.stringMatching(/^#3 Write API docs for orders · claude · exited \(code 0\) · review/),
      expect.stringMatching(/^#6 Remove legacy coupon code · claude · exited \(code 1\) · failed/),
      expect.stringMatching(/^#7 Bump eslint to v9 · claude · idle/),
      expect.stringMatching(/^\s*$/),
    ]);
    expect(c.selectedRow()).toMatch(/^#1 /);
  });

  it('marks an activity guessed from the screen with "?", and one the agent reported without', async () => {
    const tasks = shopTasks().map((t) => (t.id === 2 ? { ...t, activity: 'working' as const, activitySource: 'heuristic' as const } : t));
    const c = await renderCockpit({ client: new FakeClient(tasks) });
    await c.waitFor('#2 Fix flaky checkout test · codex · working?');
    expect(c.frame()).toMatch(/#1 Add rate limiting to login · claude · working$/m);
    await c.goto('tasks');
    await c.waitFor(/^#2 +running +medium +codex +working\? +Fix flaky checkout test/m);
    expect(c.frame()).toMatch(/^#1 +running +medium +claude +working +Add rate limiting to login/m);
  });

  it('says how to start work when no agent is running', async () => {
    const c = await renderCockpit({ client: new FakeClient([taskView({ id: 1, title: 'Add login page' })]) });
    await c.waitFor('No agent is running. n adds a task; 2 shows the queue.');
  });
});

describe('tasks view', () => {
  it('flags a running agent that ended its turn with commits as idle with work', async () => {
    const tasks = shopTasks().map((t) => (t.id === 1 ? { ...t, activity: 'idle' as const, idleWithWork: true } : t));
    const c = await renderCockpit({ client: new FakeClient(tasks) });
    await c.waitFor('#1 Add rate limiting to login · claude · idle with work (d: review)');
    await c.goto('tasks');
    await c.waitFor(/^#1 +running +medium +claude +idle\+work +Add rate limiting to login/m);
  });

  it('lists every task in queue order with state, risk, agent, activity, reason, branch and ports', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    const f = c.frame();
    expect(f).toMatch(/^ID +STATE +RISK +AGENT +ACTIVITY +TITLE +REASON +BRANCH +PORTS/m);
    expect(f).toMatch(/^#2 +running +medium +codex +waiting-input +Fix flaky checkout test +muster\/2-fix-flaky-ch… +3020-3029/m);
    expect(f).toMatch(/^#5 +backlog +medium +claude +Dark mode for settings page +waits for #4/m);
    expect(f).toMatch(/^#6 +failed +medium +claude +Remove legacy coupon code +agent exited with code 1/m);
    // Activity is only meaningful while running.
    expect(f).toMatch(/^#7 +review +low +claude +Bump eslint to v9 +muster\/7/m);
    const ids = f.split('\n').flatMap((l) => /^#(\d+) /.exec(l)?.[1] ?? []);
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '9', '10', '11', '12', '13', '14', '8']);
  });

  it('says how to add a task when there is none', async () => {
    const c = await renderCockpit({ client: new FakeClient([]) });
    await c.goto('tasks');
    await c.waitFor('No tasks yet. n adds one.');
  });
});

describe('locks view', () => {
  it('shows each lock with mode, owner, age and state, stale ones in red', async () => {
    const c = await renderCockpit();
    await c.goto('locks');
    const f = c.frame();
    expect(f).toMatch(/^src\/auth\/\*\* +write +#1 +2h5\d +active declared/m);
    expect(f).toMatch(/^tests\/checkout\/\*\* +write +#2 +/m);
    expect(f).toMatch(/^package\.json +write +operator pid 4242 +\d+h\d\d +stale/m);
    expect(lineWith(c.rawFrame(), 'package.json')).toContain(RED);
  });
});

describe('conflicts view', () => {
  it('shows each conflict with its kind, tasks, paths and detail', async () => {
    const c = await renderCockpit();
    await c.goto('conflicts');
    expect(c.frame()).toMatch(/^PATH +KIND +TASKS +DETAIL/m);
    expect(c.frame()).toMatch(/^src\/auth\/session\.ts +overlap +#1 #2 +#1 and #2 both changed src\/auth\/session\.ts/m);
  });

  it('follows conflicts events, and says so when the running tasks are disjoint', async () => {
    const c = await renderCockpit();
    await c.goto('conflicts');
    c.client.emit('conflicts', [{ kind: 'merge', tasks: [3, 7], paths: ['package.json'], detail: 'Merging #7 after #3 conflicts in package.json' }]);
    await c.waitFor(/^package\.json +merge +#3 #7 +Merging #7 after #3 conflicts in package\.json/m);
    expect(c.frame()).not.toContain('#1 and #2 both changed');
    c.client.emit('conflicts', []);
    await c.waitFor('No conflicts: the running tasks touch disjoint files.');
    await c.waitFor('blockers 1 · conflicts 0');
  });
});

describe('merges view', () => {
  it('shows the queue, and the commits and files of the selected merge', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    const f = c.frame();
    expect(f).toContain('Target main@9f8e7d6 · u undoes the merge of #8');
    expect(f).toMatch(/^# +TASK +RISK +COMMITS +FILES +FINDINGS +TITLE/m);
    expect(f).toMatch(/^1 +#3 +medium +2 +2 +Write API docs for orders/m);
    expect(f).toMatch(/^2 +#7 +low +2 +2 +Bump eslint to v9/m);
    expect(f).toContain('#3 Write API docs for orders — muster/3-write-api-docs-for-order');
    expect(f).toMatch(/Commits \(2\)\n +c0ffe31 Write API docs for orders: first pass\n +c0ffe32 Address review notes/);
    expect(f).toMatch(/Files \(2\)\n +\+42 -7 +docs\/api\/index\.ts\n +bin +assets\/logo\.png/);
  });

  it('shows the summary the agent gave when it said the task was done', async () => {
    const tasks = shopTasks().map((t) => (t.id === 3 ? { ...t, summary: 'Documented every orders endpoint.\nChecked the examples with curl.' } : t));
    const c = await renderCockpit({ client: new FakeClient(tasks) });
    await c.goto('merges');
    await c.waitFor(/Summary: Documented every orders endpoint\.\n +Checked the examples with curl\./);
  });

  it('shows why the last merge attempt of the selected task failed, with the gate output', async () => {
    const client = new FakeClient();
    client.results.set(7, {
      task: 7,
      at: new Date().toISOString(),
      landed: false,
      reason: 'gate-failed',
      message: 'Gate "test" failed for #7; r sends it back with the output.',
      gate: { name: 'test', output: 'FAIL src/cart.test.ts\n  expected 3 to be 4\n' },
      paths: [],
      gates: [
        { name: 'lint', ok: true },
        { name: 'test', ok: false },
      ],
    });
    const c = await renderCockpit({ client });
    await c.goto('merges');
    await c.select(7);
    await c.waitFor('Gate "test" failed for #7; r sends it back with the output.');
    expect(c.frame()).toMatch(/│ FAIL src\/cart\.test\.ts\n +│ {3}expected 3 to be 4/);
    expect(c.frame()).toContain('Gates: lint ✓  test ✗');
  });

  it('says so when nothing waits for a merge', async () => {
    const c = await renderCockpit({ client: new FakeClient([taskView({ id: 1, title: 'Add login page' })]) });
    await c.goto('merges');
    await c.waitFor('Nothing to merge: no task is in review.');
  });
});

describe('shared context view', () => {
  it('shows the document with unacknowledged blockers standing out until acknowledged', async () => {
    const c = await renderCockpit();
    await c.goto('context');
    const f = c.frame();
    expect(f).toContain('## Patterns\n- [#1 09:12] Validate request bodies with zod at the route edge');
    expect(lineWith(c.rawFrame(), 'STRIPE_KEY')).toContain(RED);
    expect(lineWith(c.rawFrame(), 'Validate request bodies')).not.toContain(RED);
    await c.press('a');
    await c.until(() => !lineWith(c.rawFrame(), 'STRIPE_KEY').includes(RED), 'the blocker to calm down');
  });

  it('marks unacknowledged blockers inverse when there is no colour', async () => {
    const c = await renderCockpit({ theme: themeFor({ NO_COLOR: '1' }) });
    await c.goto('context');
    expect(lineWith(c.rawFrame(), 'STRIPE_KEY')).toContain('\x1b[7m');
  });
});

describe('help overlay', () => {
  it('lists every binding of the key map with its keys, where it works and whether it asks first', async () => {
    const c = await renderCockpit();
    await c.press('?');
    await c.waitFor('Keys — esc closes, j/k scroll');
    const rows = helpSections(DEFAULT_BINDINGS).flatMap((s) => s.rows);
    const last = rows.at(-1)!.description;
    const frames = [c.frame()];
    while (!frames.at(-1)!.includes(last) && frames.length <= rows.length) {
      await c.press('j');
      await c.until(() => c.frame() !== frames.at(-1), 'the help to scroll');
      frames.push(c.frame());
    }
    const text = frames.join('\n');
    for (const r of rows) {
      const where = r.where === 'any view' ? '' : `  (${r.where})`;
      expect(text).toContain(`${r.keys.padEnd(18)} ${r.description}${where}${r.dangerous ? '  — asks first' : ''}`);
    }
  });
});
