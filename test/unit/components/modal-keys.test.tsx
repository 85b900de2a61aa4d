import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { calledOnce, closeCockpits, confirmsThen, noChanges, renderCockpit, waitSelected, type Cockpit, type Scenario } from './cockpit.js';
import { attachFullScreen } from '../../../components/tui/attach-mode.js';
import { DEFAULT_BINDINGS, MODAL_CONTEXTS, bytesForKey, type CommandId, type KeyName } from '../../../src/keymap/index.js';
import { FakeClient } from './fake-client.js';

afterEach(closeCockpits);

/** Opens the diff of #3 (65 lines; 25 fit) in the merges view and scrolls with `setup` keys first. */
const inDiff =
  (setup: KeyName[], line: number): Scenario =>
  async (c, key) => {
    await c.goto('merges');
    await c.press('enter');
    await c.waitFor('Diff of #3 — line 1/65');
    await c.press(...setup, key);
    await c.waitFor(`Diff of #3 — line ${line}/65`);
  };

/** The first help line under the overlay's title. */
const helpTop = (c: Cockpit) => c.frame().split('\n')[3]?.trim();

const openForm = async (c: Cockpit) => {
  await c.press('n');
  await c.waitFor('New task');
};

const openQuit = async (c: Cockpit) => {
  await c.press('q');
  await c.waitFor('2 agents are running.');
};

/** Bindings of the dialogs, overlays and attach mode, which own the keyboard while open. */
type ModalCommand = Extract<CommandId, `${'diff' | 'help' | 'form' | 'confirm' | 'quit' | 'attach'}.${string}`>;

const SCENARIOS: Record<ModalCommand, Scenario> = {
  'attach.detach': async (_c, key) => {
    // Attach mode reads raw stdin outside Ink; the detach key is the one key it keeps.
    const client = new FakeClient();
    const written: string[] = [];
    const out = Object.assign(new EventEmitter(), { rows: 24, columns: 80, write: (d: string) => written.push(d) > 0 });
    const chunks: string[] = [];
    const input = Object.assign(new EventEmitter(), { isTTY: false, read: () => chunks.shift() ?? null });
    const send = (d: string) => {
      chunks.push(d);
      input.emit('readable');
    };
    let detached = false;
    const done = attachFullScreen(client, 2, key, out as unknown as NodeJS.WriteStream, input as unknown as NodeJS.ReadStream).then(() => (detached = true));
    for (const deadline = Date.now() + 10_000; input.listenerCount('readable') === 0; await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() > deadline) throw new Error(`attach mode never read stdin; it wrote ${JSON.stringify(written.join(''))}`);
    }
    expect(written.join('')).toContain(`#2 attached · ${key} detaches`);
    send('git status\r');
    send(`q${bytesForKey(key)!}`);
    await done;
    expect(detached).toBe(true);
    expect(client.calls).toEqual([
      { method: 'term.attach', params: { task: 2, cols: 80, rows: 23 } },
      { method: 'term.input', params: { task: 2, data: 'git status\r' } },
      { method: 'term.input', params: { task: 2, data: 'q' } },
      { method: 'term.detach', params: { task: 2 } },
    ]);
  },

  'diff.up': inDiff(['j', 'j'], 2),
  'diff.down': inDiff([], 2),
  'diff.page-up': inDiff(['G'], 16),
  'diff.page-down': inDiff([], 26),
  'diff.top': inDiff(['space', 'j'], 1),
  'diff.bottom': inDiff([], 41),
  'diff.close': async (c, key) => {
    await inDiff([], 1)(c, 'home');
    await c.press(key);
    await c.waitFor((f) => !f.includes('Diff of #3') && f.includes('Target main@'));
    expect(c.host).toEqual([]);
  },

  'help.up': async (c, key) => {
    await c.press('?', 'j', 'j');
    await c.until(() => helpTop(c)?.startsWith('q /') ?? false, 'the help scrolled by two');
    await c.press(key);
    await c.until(() => helpTop(c)?.startsWith('? ') ?? false, 'the help scrolled up by one');
  },
  'help.down': async (c, key) => {
    await c.press('?');
    await c.until(() => helpTop(c) === 'General', 'the help at its top');
    await c.press(key);
    await c.until(() => helpTop(c)?.startsWith('? ') ?? false, 'the help scrolled down by one');
  },
  'help.close': async (c, key) => {
    await c.press('?');
    await c.waitFor('Keys — esc closes');
    await c.press(key);
    await c.waitFor((f) => !f.includes('Keys — esc closes') && f.includes('#1 Add rate limiting to login'));
    expect(c.host).toEqual([]);
  },
  'form.submit': async (c, key) => {
    await openForm(c);
    await c.type('Add dark mode toggle');
    await c.press(key);
    await calledOnce(c, 'task.add', { title: 'Add dark mode toggle', prompt: undefined, agent: 'claude', writes: [], reads: [], after: [], risk: 'medium' });
    await c.waitFor((f) => !f.includes('New task') && f.includes('Added #15 Add dark mode toggle (ready).'));
  },
  'form.next-field': async (c, key) => {
    await openForm(c);
    await c.press(key);
    await c.waitFor('what the agent is asked to do (default: the title)');
    await c.type('Use CSS variables');
    await c.waitFor('Prompt   Use CSS variables');
  },
  'form.prev-field': async (c, key) => {
    await openForm(c);
    await c.press(key);
    await c.waitFor('low | medium | high');
  },
  'form.cancel': async (c, key) => {
    await openForm(c);
    await c.type('Half a thought');
    await c.press(key);
    await c.waitFor((f) => !f.includes('New task') && f.includes('#1 Add rate limiting to login'));
    noChanges(c);
  },
  'confirm.yes': async (c, key) => {
    await c.select(1);
    await c.press('x');
    await c.waitFor('Cancel #1 Add rate limiting to login');
    await c.press(key);
    await calledOnce(c, 'task.cancel', { id: 1 });
  },
  'confirm.no': async (c, key) => {
    await c.select(1);
    await c.press('x');
    await c.waitFor('Cancel #1 Add rate limiting to login');
    await c.press(key);
    await c.waitFor((f) => !f.includes('Cancel #1') && f.includes('#1 Add rate limiting to login · claude'));
    await waitSelected(c, 1);
    noChanges(c);
  },
  'quit.detach': async (c, key) => {
    await openQuit(c);
    await c.press(key);
    await c.until(() => c.host.length > 0, 'the host to quit');
    expect(c.host).toEqual([{ kind: 'quit', mode: 'detach' }]);
    noChanges(c);
  },
  'quit.stop-all': confirmsThen(openQuit, 'Stop every agent and the supervisor? Their tasks can be restarted.', async (c) => {
    await c.until(() => c.host.length > 0, 'the host to quit');
    expect(c.host).toEqual([{ kind: 'quit', mode: 'stop' }]);
  }),
  'quit.cancel': async (c, key) => {
    await openQuit(c);
    await c.press(key);
    await c.waitFor((f) => !f.includes('agents are running') && f.includes('#1 Add rate limiting to login'));
    expect(c.host).toEqual([]);
  },
};

describe('every key of a dialog, overlay or attach mode does what the key map says', () => {
  const bindings = DEFAULT_BINDINGS.filter((b) => b.contexts.every((c) => MODAL_CONTEXTS.has(c)));

  it('has a scenario for every such binding, so a new binding needs a test', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(bindings.map((b) => b.id).sort());
  });

  const cases = bindings.flatMap((b) => b.keys.map((key) => ({ id: b.id as ModalCommand, key, description: b.description })));
  it.each(cases)('$key → $id: $description', async ({ id, key }) => {
    const c = await renderCockpit();
    await SCENARIOS[id](c, key);
  });
});
