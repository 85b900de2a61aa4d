import { afterEach, describe, expect, it } from 'vitest';
import { calledOnce, closeCockpits, confirmsThen, listedIds, noChanges, renderCockpit, waitSelected, type Cockpit, type Scenario } from './cockpit.js';
import { DEFAULT_BINDINGS, MODAL_CONTEXTS, type CommandId } from '../../../src/keymap/index.js';

afterEach(closeCockpits);

/** Opens a view, selects a task, presses the key; then `check`. */
const onTask =
  (view: 'agents' | 'tasks' | 'merges', id: number, check: (c: Cockpit) => Promise<void>): Scenario =>
  async (c, key) => {
    if (view !== 'agents') await c.goto(view);
    await c.select(id);
    await c.press(key);
    await check(c);
  };

const moves = (view: 'agents' | 'tasks', from: number, to: number): Scenario =>
  onTask(view, from, async (c) => {
    await waitSelected(c, to);
    noChanges(c);
  });

const switchesTo =
  (view: 'agents' | 'tasks' | 'locks' | 'conflicts' | 'merges' | 'context', expected: string, loads?: 'merge.list' | 'context.show'): Scenario =>
  async (c, key) => {
    if (view === 'agents') await c.goto('tasks');
    await c.press(key);
    await c.until(() => c.currentView() === view, `the header to show the ${view} tab`);
    await c.waitFor(expected);
    if (loads) expect(c.client.callsOf(loads).length).toBeGreaterThan(0);
  };

/** Bindings heard in the views (global or a view's own); modal-keys.test.tsx has the rest. */
type ViewCommand = Exclude<CommandId, `${'diff' | 'help' | 'form' | 'confirm' | 'quit' | 'attach'}.${string}`>;

const SCENARIOS: Record<ViewCommand, Scenario> = {
  'app.help': async (c, key) => {
    await c.press(key);
    await c.waitFor('Keys — esc closes, j/k scroll');
    await c.waitFor('Show every key');
    expect(c.statusLine()).toContain('esc close');
  },
  'app.quit': async (c, key) => {
    await c.press(key);
    await c.waitFor('2 agents are running.');
    await c.waitFor('d detach · s stop all · esc cancel');
    expect(c.host).toEqual([]);
  },
  'app.back': async (c, key) => {
    await c.goto('locks');
    await c.press(key);
    await c.until(() => c.currentView() === 'agents', 'the agents view');
    await c.waitFor('#1 Add rate limiting to login · claude · working');
  },
  'view.agents': switchesTo('agents', '#2 Fix flaky checkout test · codex · waiting-input'),
  'view.tasks': switchesTo('tasks', '#5   backlog   medium claude'),
  'view.locks': switchesTo('locks', 'operator pid 4242'),
  'view.conflicts': switchesTo('conflicts', '#1 and #2 both changed src/auth/session.ts'),
  'view.merges': switchesTo('merges', 'Target main@9f8e7d6 · u undoes the merge of #8', 'merge.list'),
  'view.context': switchesTo('context', 'Checkout tests need STRIPE_KEY in .env.test', 'context.show'),

  'nav.up': moves('tasks', 3, 2),
  'nav.down': moves('tasks', 3, 4),
  'nav.left': moves('agents', 2, 1),
  'nav.right': moves('agents', 2, 7),
  'nav.next-pane': async (c, key) => {
    await c.select(2);
    await c.press(key);
    await waitSelected(c, 7);
    await c.press(key);
    await waitSelected(c, 1);
  },
  'nav.prev-pane': moves('agents', 7, 2),
  // Tasks view order: #1 … #7, #9 … #14, then #8 (merged, no queue position).
  'nav.page-up': async (c, key) => {
    await c.goto('tasks');
    await c.select(8);
    await c.press(key);
    await waitSelected(c, 4);
  },
  'nav.page-down': async (c, key) => {
    await c.goto('tasks');
    await c.select(1);
    await c.press(key);
    await waitSelected(c, 12);
  },
  'nav.top': async (c, key) => {
    await c.goto('tasks');
    await c.select(10);
    await c.press(key);
    await waitSelected(c, 1);
  },
  'nav.bottom': async (c, key) => {
    await c.goto('tasks');
    await c.select(1);
    await c.press(key);
    await waitSelected(c, 8);
  },

  'task.new': async (c, key) => {
    await c.press(key);
    await c.waitFor(/New task[\s\S]*Title[\s\S]*Prompt[\s\S]*Agent[\s\S]*Writes[\s\S]*Reads[\s\S]*After[\s\S]*Risk {5}medium/);
    noChanges(c);
  },
  'dispatch.toggle': async (c, key) => {
    await c.press(key);
    await calledOnce(c, 'dispatch.pause', {});
    await c.waitFor('workers 2/4 · PAUSED');
    expect(c.statusLine()).toBe('Dispatch paused: running agents go on, no new task starts.');
    await c.press(key);
    await calledOnce(c, 'dispatch.resume', {});
    await c.waitFor((f) => !f.includes('PAUSED') && f.includes('Dispatch resumed.'));
  },
  'task.reassign': async (c, key) => {
    await c.select(1);
    await c.press(key);
    await c.waitFor(/Reassign #1 Add rate limiting to login[\s\S]*Agent {4}claude/);
    await c.press('esc');
    await c.goto('tasks');
    await c.select(2);
    await c.press(key);
    await c.waitFor(/Reassign #2 Fix flaky checkout test[\s\S]*Agent {4}codex/);
    noChanges(c);
  },
  'queue.move-up': async (c, key) => {
    await onTask('tasks', 5, async () => undefined)(c, key);
    await calledOnce(c, 'task.move', { id: 5, move: { kind: 'up' } });
    await c.until(() => listedIds(c).indexOf(5) < listedIds(c).indexOf(4), '#5 above #4');
    await waitSelected(c, 5);
    await c.goto('merges');
    await c.select(7);
    await c.press(key);
    await c.until(() => listedIds(c).slice(0, 2).join() === '7,3', '#7 first in the merge queue');
  },
  'queue.move-down': async (c, key) => {
    await onTask('tasks', 4, async () => undefined)(c, key);
    await calledOnce(c, 'task.move', { id: 4, move: { kind: 'down' } });
    await c.until(() => listedIds(c).indexOf(4) > listedIds(c).indexOf(5), '#4 below #5');
    await waitSelected(c, 4);
    await c.goto('merges');
    await c.select(3);
    await c.press(key);
    await c.until(() => listedIds(c).slice(0, 2).join() === '7,3', '#3 after #7 in the merge queue');
  },
  'task.retry': onTask('tasks', 6, async (c) => {
    await calledOnce(c, 'task.retry', { id: 6 });
    await c.waitFor('#6 queued again.');
    await c.waitFor(/#6 +ready/);
  }),
  'task.done': onTask('agents', 2, async (c) => {
    await calledOnce(c, 'task.done', { id: 2 });
    await c.waitFor('#2 is ready for review.');
  }),
  'task.cancel': async (c, key) => {
    await confirmsThen(
      (x) => x.select(2),
      'Cancel #2 Fix flaky checkout test and stop its agent? Its work is archived.',
      async (x) => {
        await calledOnce(x, 'task.cancel', { id: 2 });
        await x.waitFor('Cancelled #2 (cancelled by operator; work kept at refs/muster/archive/2).');
      },
    )(c, key);
    await c.goto('tasks');
    await c.select(13);
    await c.press(key);
    await c.waitFor('Cancel #13 Paginate order history and stop its agent?');
  },

  'agent.attach': onTask('agents', 2, async (c) => {
    await c.until(() => c.host.length > 0, 'the host to attach');
    expect(c.host).toEqual([{ kind: 'attach', task: 2 }]);
    noChanges(c);
  }),
  'merge.diff': onTask('merges', 3, async (c) => {
    await calledOnce(c, 'merge.diff', { id: 3 });
    await c.waitFor(/Diff of #3 — line 1\/65[\s\S]*\+line 1 of the change for #3/);
  }),
  'merge.approve': onTask('merges', 3, async (c) => {
    await calledOnce(c, 'merge.approve', { id: 3 });
    await c.waitFor('Landed #3 on main: 9f8e7d6 → 7e57ab1.');
    await c.until(() => listedIds(c).join() === '7', 'the merge queue without #3');
  }),
  'merge.reject': onTask('merges', 7, async (c) => {
    await c.waitFor(/Reject #7 Bump eslint to v9[\s\S]*Feedback/);
    await c.type('Use the flat config');
    await c.press('enter');
    await calledOnce(c, 'merge.reject', { id: 7, reason: 'Use the flat config' });
    await c.waitFor('#7 sent back to its agent with the feedback.');
  }),
  'merge.skip': onTask('merges', 3, async (c) => {
    await calledOnce(c, 'merge.skip', { id: 3 });
    await c.waitFor('#3 moved to the back of the merge queue.');
    await c.until(() => listedIds(c).join() === '7,3', '#3 behind #7');
  }),
  'merge.undo': confirmsThen(
    (c) => c.goto('merges'),
    'Undo the last merge? The target returns to its previous tip.',
    async (c) => {
      await calledOnce(c, 'merge.undo', {});
      await c.waitFor('Undid the merge of #8: main is back at 1a2b3c4.');
    },
  ),
  'context.ack': async (c, key) => {
    await c.goto('context');
    await c.waitFor('blockers 1');
    await c.press(key);
    await calledOnce(c, 'context.ack', {});
    await c.waitFor('Blockers acknowledged (0 unread).');
    await c.waitFor('blockers 0');
  },

};

describe('every key heard in the views does what the key map says', () => {
  const bindings = DEFAULT_BINDINGS.filter((b) => !b.contexts.every((c) => MODAL_CONTEXTS.has(c)));

  it('has a scenario for every such binding, so a new binding needs a test', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(bindings.map((b) => b.id).sort());
  });

  const cases = bindings.flatMap((b) => b.keys.map((key) => ({ id: b.id as ViewCommand, key, description: b.description })));
  it.each(cases)('$key → $id: $description', async ({ id, key }) => {
    const c = await renderCockpit();
    await SCENARIOS[id](c, key);
  });
});
