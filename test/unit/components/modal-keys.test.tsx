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

/** In the new-task form's title: types `before`, presses `keys` then the key, types `after`; the title then reads `expected`. */
const editsTitle =
  (before: string, keys: KeyName[], after: string, expected: string): Scenario =>
  async (c, key) => {
    await openForm(c);
    await c.type(before);
    await c.press(...keys, key);
    await c.type(after);
    await c.waitFor(new RegExp(`│ Title {4}${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} *│`));
    expect(c.client.changes()).toEqual([]);
  };

/** The reader of #1's output (40 older lines, a marker, 60 rows; 24 shown), then `setup` keys. */
const inScrollback =
  (setup: KeyName[], check: (c: Cockpit) => Promise<void>): Scenario =>
  async (c, key) => {
    await c.select(1);
    await c.press('o');
    await c.waitFor('#1 output — lines 78–101 of 101');
    await c.press(...setup, key);
    await check(c);
    noChanges(c);
  };
const showsLines = (from: number, to: number) => (c: Cockpit) => c.waitFor(`#1 output — lines ${from}–${to} of 101`).then(() => undefined);

const openQuit = async (c: Cockpit) => {
  await c.press('q');
  await c.waitFor('2 agents are running.');
};

/** Bindings of the dialogs, overlays and attach mode, which own the keyboard while open. */
type ModalCommand = Extract<CommandId, `${'diff' | 'help' | 'form' | 'confirm' | 'quit' | 'attach' | 'detail' | 'offline' | 'scrollback'}.${string}`>;

/**
 * Opens the detail of #6, whose prompt is 80 lines long, and scrolls with `setup` keys first;
 * `line` is the first line shown then, counted from the end when negative (-1: the last page).
 */
const inDetail =
  (setup: KeyName[], line: number): Scenario =>
  async (c, key) => {
    c.client.tasks.set(6, { ...c.client.tasks.get(6)!, prompt: Array.from({ length: 80 }, (_, i) => `prompt line ${i + 1}`).join('\n') });
    await c.goto('tasks');
    await c.select(6);
    await c.press('enter');
    const total = Number(/Task #6 — line 1\/(\d+)/.exec(await c.waitFor(/Task #6 — line 1\/\d+ [\s\S]*prompt line 1\n/))![1]);
    // 30 rows: header 2, status 1, the overlay's own title 1, a row left free for Ink: 25 lines a page.
    const want = line > 0 ? line : total - 25 + 1;
    await c.press(...setup, key);
    await c.waitFor(`Task #6 — line ${want}/${total}`);
  };

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
    const hint = ` #2 attached · ${key} detaches `;
    const done = attachFullScreen(client, 2, {
      detachKey: key,
      out: out as unknown as NodeJS.WriteStream,
      input: input as unknown as NodeJS.ReadStream,
      hint,
      color: true,
    }).then((o) => (detached = o.kind === 'detached'));
    for (const deadline = Date.now() + 10_000; input.listenerCount('readable') === 0; await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() > deadline) throw new Error(`attach mode never read stdin; it wrote ${JSON.stringify(written.join(''))}`);
    }
    expect(written.join('')).toContain(`#2 attached · ${key} detaches`);
    send('git status\r');
    send(`q${bytesForKey(key)!}`);
    await done;
    expect(detached).toBe(true);
    expect(client.calls).toEqual([
      { method: 'term.attach', params: { task: 2, cols: 80, rows: 23, color: true } },
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

  'detail.up': inDetail(['j', 'j'], 2),
  'detail.down': inDetail([], 2),
  'detail.page-up': inDetail(['space', 'space'], 26),
  'detail.page-down': inDetail([], 26),
  'detail.top': inDetail(['space', 'j'], 1),
  'detail.bottom': inDetail([], -1),
  'detail.next': async (c, key) => {
    await c.goto('conflicts');
    await c.press('enter');
    await c.waitFor(/Task #1 — line 1\/\d+ · task 1 of 2/);
    await c.press(key);
    await c.waitFor(/Task #2 — line 1\/\d+ · task 2 of 2[\s\S]*#2 Fix flaky checkout test/);
    await c.press(key);
    await c.waitFor(/Task #1 — line 1\/\d+ · task 1 of 2[\s\S]*#1 Add rate limiting to login/);
    expect(c.client.callsOf('task.detail')).toEqual([{ id: 1 }, { id: 2 }, { id: 1 }]);
  },
  'detail.prev': async (c, key) => {
    await c.goto('conflicts');
    await c.press('enter');
    await c.waitFor(/Task #1 — line 1\/\d+ · task 1 of 2/);
    await c.press(key);
    await c.waitFor(/Task #2 — line 1\/\d+ · task 2 of 2/);
  },
  'detail.close': async (c, key) => {
    await c.goto('tasks');
    await c.press('enter');
    await c.waitFor('Task #1 — line 1');
    await c.press(key);
    await c.waitFor((f) => !f.includes('Task #1 — line') && f.includes('ACTIVITY'));
    await waitSelected(c, 1);
    expect(c.host).toEqual([]);
    noChanges(c);
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
    await c.waitFor('low · medium · high');
  },
  'form.cancel': async (c, key) => {
    await openForm(c);
    await c.type('Half a thought');
    await c.press(key);
    await c.waitFor((f) => !f.includes('New task') && f.includes('#1 Add rate limiting to login'));
    noChanges(c);
  },
  'form.left': editsTitle('helo', [], 'l', 'hello'),
  'form.right': editsTitle('hllo', ['home'], 'e', 'hello'),
  'form.home': editsTitle('orld', [], 'w', 'world'),
  'form.end': editsTitle('hell', ['home'], 'o', 'hello'),
  'form.word-left': editsTitle('one three', [], 'two ', 'one two three'),
  'form.word-right': editsTitle('one three', ['home'], ' two', 'one two three'),
  'form.backspace': editsTitle('abcd', [], '', 'abc'),
  'form.delete': editsTitle('xabc', ['home'], '', 'abc'),
  'form.kill-start': editsTitle('abc def', ['left', 'left'], '', 'ef'),
  'form.kill-end': editsTitle('abc def', ['home', 'right'], '', 'a'),
  'form.kill-word': editsTitle('abc def', [], 'xyz', 'abc xyz'),
  'form.newline': async (c, key) => {
    await openForm(c);
    await c.press('tab');
    await c.type('first');
    await c.press(key);
    await c.type('second');
    await c.waitFor(/│ Prompt {3}first *│\n│ {10}second *│/);
  },
  'offline.reconnect': async (c, key) => {
    c.client.disconnect();
    await c.waitFor('The muster supervisor went away');
    await c.waitFor('supervisor gone: what follows is from before');
    await c.press(key);
    await c.waitFor('Starting the supervisor…');
    expect(c.host).toEqual([{ kind: 'reconnect' }]);
    // The new connection: the cockpit follows it and the dialog goes.
    await c.controller.reconnected();
    await c.waitFor((f) => !f.includes('went away') && f.includes('Reconnected to the supervisor (pid 4242).'));
    expect(c.client.callsOf('subscribe')).toHaveLength(2);
  },
  'offline.quit': async (c, key) => {
    c.client.disconnect();
    await c.waitFor('The muster supervisor went away');
    await c.press(key);
    await c.until(() => c.host.length > 0, 'the host to quit');
    expect(c.host).toEqual([{ kind: 'quit', mode: 'detach' }]);
  },
  'scrollback.up': inScrollback([], showsLines(77, 100)),
  'scrollback.down': inScrollback(['k', 'k'], showsLines(77, 100)),
  'scrollback.page-up': inScrollback([], showsLines(54, 77)),
  'scrollback.page-down': inScrollback(['g'], showsLines(25, 48)),
  'scrollback.top': inScrollback([], async (c) => {
    await showsLines(1, 24)(c);
    await c.waitFor('#1 older 1');
    await c.waitFor('from the terminal log');
  }),
  'scrollback.bottom': inScrollback(['g'], showsLines(78, 101)),
  'scrollback.search': inScrollback([], async (c) => {
    await c.waitFor(/Search +$/m);
    await c.type('older 3');
    await c.press('enter');
    // The nearest older line that matches: "older 39" contains "older 3".
    await c.waitFor((f) => f.includes('#1 older 39') && !f.includes('Search '));
    expect(c.rawFrame()).toMatch(/\x1b\[7m#1 older 39/);
  }),
  'scrollback.next': inScrollback(['/', 'o', 'l', 'd', 'e', 'r', 'space', '3', 'enter'], async (c) => {
    await c.waitFor((f) => f.includes('#1 older 38') && f.includes('lines'));
    expect(c.rawFrame()).toMatch(/\x1b\[7m#1 older 38/);
  }),
  // "out": output 60 first, n twice passes the error line to output 57, N comes back to 59.
  'scrollback.prev': inScrollback(['/', 'o', 'u', 't', 'enter', 'n', 'n'], async (c) => {
    await c.until(() => /\x1b\[7m#1 output 59/.test(c.rawFrame()), 'output 59 marked');
  }),
  'scrollback.close': async (c, key) => {
    await c.select(1);
    await c.press('o');
    await c.waitFor('#1 output — lines');
    await c.press(key);
    await c.waitFor((f) => !f.includes('#1 output — lines') && f.includes('#1 Add rate limiting to login'));
    expect(c.host).toEqual([]);
    // Opened by the detach key and [ from an attached agent, leaving it attaches again.
    c.controller.detached(3);
    await c.press('o');
    await c.waitFor('#3 output — lines');
    await c.press(key);
    await c.until(() => c.host.length > 0, 'the host to attach');
    expect(c.host).toEqual([{ kind: 'attach', task: 3 }]);
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
