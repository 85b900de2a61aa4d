import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, renderCockpit, type Cockpit } from './cockpit.js';
import { DEFAULT_BINDINGS, helpSections, keysFor, type CommandId } from '../../../src/keymap/index.js';
import { FakeClient } from './fake-client.js';
import { taskView } from './fixtures.js';

afterEach(closeCockpits);

interface Guard {
  /** Brings the cockpit to where the binding is heard, with something to act on. */
  open(c: Cockpit): Promise<void>;
  key: string;
  question: string;
  /** Whether the dangerous thing happened. */
  ran(c: Cockpit): boolean;
}

const GUARDS: Partial<Record<CommandId, Guard>> = {
  'task.cancel': {
    open: (c) => c.select(2),
    key: 'x',
    question: 'Cancel #2 Fix flaky checkout test and stop its agent? Its work is archived.',
    ran: (c) => c.client.callsOf('task.cancel').length > 0,
  },
  'merge.undo': {
    open: (c) => c.goto('merges'),
    key: 'u',
    question: 'Undo the merge of #8 Cache product images? main goes back from 9f8e7d6 to 1a2b3c4, and the task returns to review.',
    ran: (c) => c.client.callsOf('merge.undo').length > 0,
  },
  'lock.steal': {
    open: async (c) => {
      await c.goto('locks');
      c.store.update((s) => ({ ...s, selected: { ...s.selected, locks: 'package.json|{"pid":4242}' } }));
      await c.until(() => (c.selectedRow() ?? '').startsWith('package.json'), 'the operator lock selected');
    },
    key: 'S',
    question: 'Steal package.json (write) from operator pid 4242? The operator holds it for writing; the holder may be changing those files.',
    ran: (c) => c.client.callsOf('lock.acquire').length > 0,
  },
  'quit.stop-all': {
    open: async (c) => {
      await c.press('q');
      await c.waitFor('2 agents are running.');
    },
    key: 's',
    question: 'Stop every agent and the supervisor? Their tasks can be restarted.',
    ran: (c) => c.host.some((h) => h.kind === 'quit'),
  },
};

const dangerous = DEFAULT_BINDINGS.filter((b) => b.dangerous).map((b) => b.id);

async function ask(id: CommandId): Promise<{ c: Cockpit; guard: Guard }> {
  const guard = GUARDS[id]!;
  const c = await renderCockpit();
  await guard.open(c);
  await c.press(guard.key);
  await c.waitFor(guard.question);
  return { c, guard };
}

describe('confirmation guards every dangerous binding', () => {
  it('has a guard case for every binding marked dangerous', () => {
    expect(Object.keys(GUARDS).sort()).toEqual([...dangerous].sort());
  });

  it.each(dangerous)('%s asks first and acts only after y', async (id) => {
    const { c, guard } = await ask(id);
    expect(guard.ran(c)).toBe(false);
    expect(c.client.changes()).toEqual([]);
    expect(c.statusLine()).toBe('y yes  n no');
    await c.press('y');
    await c.until(() => guard.ran(c), `${id} to run`);
    await c.waitFor((f) => !f.includes(guard.question));
  });

  const noKeys = keysFor(DEFAULT_BINDINGS, 'confirm.no');
  it.each(dangerous.flatMap((id) => noKeys.map((key) => ({ id, key }))))('$key at the $id question backs out without acting', async ({ id, key }) => {
    const { c, guard } = await ask(id);
    await c.press(key);
    await c.waitFor((f) => !f.includes(guard.question));
    expect(guard.ran(c)).toBe(false);
    expect(c.client.changes()).toEqual([]);
    expect(c.host).toEqual([]);
  });

  it('ignores every other key while asking, then still takes y', async () => {
    const { c, guard } = await ask('task.cancel');
    await c.press('x', 'q', 'j', '2', 'enter', 'ctrl+c', 'd', 'r');
    expect(c.frame()).toContain(guard.question);
    expect(c.currentView()).toBe('agents');
    expect(c.client.changes()).toEqual([]);
    expect(c.host).toEqual([]);
    await c.press('y');
    await c.until(() => guard.ran(c), 'the cancel');
    expect(c.client.callsOf('task.cancel')).toEqual([{ id: 2 }]);
  });

  it('reports the supervisor refusing a confirmed action, in red', async () => {
    const { c } = await ask('merge.undo');
    c.client.refuse('merge.undo', 'invalid-state', 'main moved since #8 landed; undo would drop 2 newer commits.');
    await c.press('y');
    await c.waitFor('main moved since #8 landed; undo would drop 2 newer commits.');
    expect(c.rawFrame().split('\n').at(-1)).toContain('\x1b[31m');
  });

  it('says no task is selected instead of asking when there is nothing to cancel', async () => {
    const c = await renderCockpit({ client: new FakeClient([taskView({ id: 1, title: 'Add login page' })]) });
    await c.press('x');
    await c.waitFor('No task is selected.');
    expect(c.frame()).not.toContain('Cancel #');
  });
});

describe('quit dialog', () => {
  it('asks whether to leave running agents, saying they keep running', async () => {
    const c = await renderCockpit();
    await c.press('q');
    await c.waitFor(
      /2 agents are running\.[\s\S]*d detach · s stop all · esc cancel[\s\S]*Detached agents keep running; muster shows them again when you start it\./,
    );
    expect(c.host).toEqual([]);
  });

  it('quits at once, leaving everything as it is, when no agent is running', async () => {
    const c = await renderCockpit({ client: new FakeClient([taskView({ id: 1, title: 'Add login page' })]) });
    await c.press('q');
    await c.until(() => c.host.length > 0, 'the quit');
    expect(c.host).toEqual([{ kind: 'quit', mode: 'detach' }]);
    expect(c.client.changes()).toEqual([]);
  });

  it('asks again before stopping everything, and n leaves the agents alone', async () => {
    const c = await renderCockpit();
    await c.press('q');
    await c.waitFor('2 agents are running.');
    await c.press('s');
    await c.waitFor('Stop every agent and the supervisor?');
    await c.press('n');
    await c.waitFor('#1 Add rate limiting to login · claude · working');
    expect(c.host).toEqual([]);
  });
});

describe('help overlay', () => {
  it('scrolls back up with the first k after scrolling past its end', async () => {
    const c = await renderCockpit();
    await c.press('?');
    await c.waitFor('Keys — esc closes');
    const lines = helpSections(DEFAULT_BINDINGS).reduce((n, s) => n + 1 + s.rows.length, 0);
    for (let i = 0; i < lines + 5; i++) await c.press('j');
    const atEnd = c.frame();
    expect(atEnd).toContain(DEFAULT_BINDINGS.at(-1)!.description);
    await c.press('k');
    await c.until(() => c.frame() !== atEnd, 'the help to scroll up');
  });
});

describe('diff overlay', () => {
  it('scrolls a long diff and returns to the merge queue with esc', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    await c.select(7);
    await c.press('enter');
    await c.waitFor(/Diff of #7 — line 1\/65 · j\/k space scroll · esc back\ndiff --git a\/docs\/api\/orders\.md/);
    expect(c.frame()).not.toContain('+line 60 of the change for #7');
    await c.press('G');
    await c.waitFor('Diff of #7 — line 41/65');
    expect(c.frame()).toContain('+line 60 of the change for #7');
    await c.press('esc');
    await c.waitFor('Target main@9f8e7d6');
    expect(c.currentView()).toBe('merges');
  });
});
