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
type ViewCommand = Exclude<CommandId, `${'diff' | 'help' | 'form' | 'confirm' | 'quit' | 'attach' | 'detail' | 'offline' | 'scrollback'}.${string}`>;

/** Puts the selection of the locks view on the lock of `resource`. */
const selectLock = async (c: Cockpit, resource: string) => {
  const l = c.client.locks.find((x) => x.resource === resource)!;
  c.store.update((s) => ({ ...s, selected: { ...s.selected, locks: `${l.resource}|${JSON.stringify(l.owner)}` } }));
  await c.until(() => (c.selectedRow() ?? '').startsWith(resource), `${resource} selected`);
};

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
  // A cockpit of one repository says how to open several; the switch itself is in fleet.test.tsx.
  'repo.next': async (c, key) => {
    await c.press(key);
    await c.waitFor('This cockpit shows one repository; name several with --repo');
    noChanges(c);
  },
  'repo.prev': async (c, key) => {
    await c.press(key);
    await c.waitFor('This cockpit shows one repository; name several with --repo');
    noChanges(c);
  },

  'nav.up': moves('tasks', 3, 2),
  'nav.down': moves('tasks', 3, 4),
  'nav.left': moves('agents', 2, 1),
  // Agents view: #1, #2 live, #3 and #6 exited, #7 live.
  'nav.right': moves('agents', 2, 3),
  'nav.next-pane': async (c, key) => {
    await c.select(6);
    await c.press(key);
    await waitSelected(c, 7);
    await c.press(key);
    await waitSelected(c, 1);
  },
  'nav.prev-pane': moves('agents', 7, 6),
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
    await c.waitFor(/Reassign #1 Add rate limiting to login[\s\S]*Agent {5}‹ claude ›/);
    await c.press('esc');
    await c.goto('tasks');
    await c.select(2);
    await c.press(key);
    await c.waitFor(/Reassign #2 Fix flaky checkout test[\s\S]*Agent {5}‹ codex ›/);
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
    'Undo the merge of #8 Cache product images? main goes back from 9f8e7d6 to 1a2b3c4, and the task returns to review.',
    async (c) => {
      await calledOnce(c, 'merge.undo', {});
      await c.waitFor(
        'Undid the merge of #8 Cache product images: main is back at 1a2b3c4 (was 9f8e7d6, kept under refs/muster/undone/); the task is in review again.',
      );
      await c.until(() => !c.frame().includes('u undoes'), 'the undo hint to go');
    },
  ),
  'agent.dismiss': async (c, key) => {
    // The failed #6 is listed with how its agent ended until put away.
    await c.waitFor('#6 Remove legacy coupon code · claude · exited (code 1) · failed');
    await c.select(6);
    await c.press(key);
    await c.waitFor((f) => !f.includes('#6 Remove legacy coupon code ·') && f.includes("Put away #6's last screen; muster log 6 still prints it."));
    // Kept by the supervisor with the session, so every cockpit and the next one agree.
    await calledOnce(c, 'agent.dismiss', { id: 6 });
    c.client.calls.length = 0;
    await c.select(1);
    await c.press(key);
    await c.waitFor("#1's agent is still running: only an exited agent's screen can be put away.");
    noChanges(c);
  },
  'agent.scrollback': async (c, key) => {
    await c.select(2);
    await c.press(key);
    // Opened at the newest line: the end of the emulator's rows.
    await c.waitFor(/#2 output — lines \d+–101 of 101/);
    await c.waitFor('#2 output 60');
    await calledOnce(c, 'term.history', { task: 2, color: true });
    noChanges(c);
  },
  'agent.page-up': async (c, key) => {
    await c.select(2);
    await c.press(key);
    await c.waitFor((f) => /#2 output — lines \d+–\d+ of 101/.test(f) && !f.includes('#2 output 60'));
    noChanges(c);
  },
  'context.ack': async (c, key) => {
    await c.goto('context');
    await c.waitFor('blockers 1');
    await c.press(key);
    await calledOnce(c, 'context.ack', {});
    await c.waitFor('Acknowledged 1 blocker; the header stops counting it.');
    await c.waitFor('blockers 0');
  },
  'context.answer': async (c, key) => {
    await c.goto('context');
    await c.waitFor('› - [#2 09:40] Checkout tests need STRIPE_KEY in .env.test');
    await c.press(key);
    await c.waitFor(/Answer #2's blocker: Checkout tests need STRIPE_KEY in \.env\.test[\s\S]*Answer/);
    await c.type('use the key in 1Password');
    await c.press('enter');
    await calledOnce(c, 'context.ack', { keys: ['b-2-0940'] });
    expect(c.client.contextAdded).toEqual(['decisions: Answer to #2\'s blocker "Checkout tests need STRIPE_KEY in .env.test": use the key in 1Password']);
    await c.waitFor('Answered under "Decisions Made"; the blocker is acknowledged.');
    await c.waitFor('blockers 0');
  },

  'task.open': async (c, key) => {
    await c.goto('tasks');
    await c.select(6);
    await c.press(key);
    await calledOnce(c, 'task.detail', { id: 6 });
    await c.waitFor(/Task #6 — line 1\/\d+[\s\S]*#6 Remove legacy coupon code\n+State +failed · medium risk · claude[\s\S]*Reason +agent exited with code 1/);
    await c.press('esc');
    // A conflict opens on its tasks, tab between them.
    await c.goto('conflicts');
    await c.press(key);
    await c.waitFor('Task #1 — line 1');
    await c.waitFor('task 1 of 2 (#1 #2), tab next');
    await c.waitFor(/Conflicts \(1\)\n +overlap: #1 and #2 both changed src\/auth\/session\.ts/);
  },
  'task.detail': async (c, key) => {
    await c.select(2);
    await c.press(key);
    await c.waitFor(/Task #2 — [\s\S]*#2 Fix flaky checkout test\n+State +running · waiting-input · medium risk · codex/);
    await c.waitFor(/Locks +tests\/checkout\/\*\* \(write, declared\)/);
    await c.press('esc');
    await c.goto('merges');
    await c.select(7);
    await c.press(key);
    await c.waitFor('#7 Bump eslint to v9');
    expect(c.client.callsOf('task.detail')).toEqual([{ id: 2 }, { id: 7 }]);
  },
  'agent.next-waiting': async (c, key) => {
    await c.goto('tasks');
    await c.press(key);
    await c.until(() => c.currentView() === 'agents', 'the agents view');
    await waitSelected(c, 2);
    await c.waitFor('#2 Fix flaky checkout test is waiting for input: i replies, enter attaches.');
    noChanges(c);
  },
  'agent.reply': async (c, key) => {
    await c.select(2);
    await c.press(key);
    await c.waitFor(/Reply to #2 Fix flaky checkout test \(codex, waiting-input\)[\s\S]*Reply/);
    await c.type('yes, use the fixture');
    await c.press('enter');
    await calledOnce(c, 'term.input', { task: 2, data: 'yes, use the fixture\r' });
    await c.waitFor('Sent to #2: yes, use the fixture');
    expect(c.host).toEqual([]);
  },
  'lock.release': async (c, key) => {
    await c.goto('locks');
    await selectLock(c, 'src/auth/**');
    await c.press(key);
    await calledOnce(c, 'lock.release', { resources: ['src/auth/**'], task: 1 });
    await c.waitFor('Released src/auth/** (write) of #1; it was declared, so #1 no longer has it to itself.');
    // Its row, not the status line, which names it until the notice fades (about as long as this wait).
    await c.until(() => !/^src\/auth\/\*\* +write /m.test(c.frame()), 'the lock gone from the view');
    // Another process's operator lock is not the cockpit's to release.
    await selectLock(c, 'package.json');
    await c.press(key);
    await c.waitFor("package.json is held by operator pid 4242, not this cockpit's shell: S steals it, or it goes when that process exits.");
    expect(c.frame()).toContain('package.json');
  },
  'lock.steal': confirmsThen(
    (c) => c.goto('locks').then(() => selectLock(c, 'package.json')),
    'Steal package.json (write) from operator pid 4242? The operator holds it for writing; the holder may be changing those files.',
    async (c) => {
      await calledOnce(c, 'lock.acquire', { resources: ['package.json'], mode: 'write', steal: true });
      await c.waitFor('Stole package.json from operator pid 4242: the operator holds it now; x releases it.');
      await c.waitFor(/^package\.json +write +operator pid 777/m);
    },
  ),
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
