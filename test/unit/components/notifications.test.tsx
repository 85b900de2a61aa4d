import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, renderCockpit, type Cockpit } from './cockpit.js';
import { themeFor, type Theme } from '../../../components/theme.js';
import { DEFAULT_BINDINGS, hintsFor, type KeyContext } from '../../../src/keymap/index.js';

afterEach(closeCockpits);

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const rawStatus = (c: Cockpit) => c.rawFrame().split('\n').at(-1) ?? '';
const hints = (context: KeyContext) =>
  hintsFor(DEFAULT_BINDINGS, context)
    .map((h) => `${h.key} ${h.label}`)
    .join('  ');

describe('notifications', () => {
  it('rings the bell and shows the message when an agent needs the operator', async () => {
    const c = await renderCockpit();
    c.client.emit('notify', { kind: 'waiting-input', task: 2, message: '#2 Fix flaky checkout test is waiting for input.' });
    await c.waitFor('#2 Fix flaky checkout test is waiting for input.');
    expect(c.host).toEqual([{ kind: 'bell' }]);
    expect(c.statusLine()).toBe('#2 Fix flaky checkout test is waiting for input.');
    expect(rawStatus(c)).toContain(YELLOW);
  });

  it('rings once per notification and shows failures in red', async () => {
    const c = await renderCockpit();
    c.client.emit('notify', { kind: 'finished', task: 1, message: '#1 Add rate limiting to login is ready for review.' });
    c.client.emit('notify', { kind: 'failed', task: 6, message: '#6 Remove legacy coupon code failed: agent exited with code 1.' });
    await c.waitFor('#6 Remove legacy coupon code failed: agent exited with code 1.');
    expect(c.host).toEqual([{ kind: 'bell' }, { kind: 'bell' }]);
    expect(rawStatus(c)).toContain(RED);
  });

  it('says the supervisor went away when the connection drops, and marks the header as stale', async () => {
    const c = await renderCockpit();
    c.client.disconnect();
    await c.waitFor('The muster supervisor went away (muster stop, or it crashed).');
    await c.waitFor('r restart it · q quit');
    expect(c.frame().split('\n')[1]).toMatch(/^supervisor gone: what follows is from before/);
  });

  it('hands pane rows to the host, outside React, and drops malformed ones', async () => {
    const c = await renderCockpit();
    const frame = { task: 1, width: 80, height: 20, rows: [[0, '$ npm test']] as [number, string][], full: false };
    c.client.emitRaw('rows', { task: 1, rows: 'not rows' });
    c.client.emit('rows', frame);
    expect(c.host).toEqual([{ kind: 'rows', frame }]);
  });
});

describe('status line', () => {
  const places: [KeyContext, (c: Cockpit) => Promise<void>][] = [
    ['agents', async () => undefined],
    ['tasks', (c) => c.goto('tasks')],
    ['locks', (c) => c.goto('locks')],
    ['conflicts', (c) => c.goto('conflicts')],
    ['merges', (c) => c.goto('merges')],
    ['context', (c) => c.goto('context')],
    ['help', (c) => c.press('?')],
    ['form', (c) => c.press('n')],
    ['confirm', (c) => c.press('x')],
    ['quit', (c) => c.press('q')],
    ['diff', async (c) => (await c.goto('merges'), await c.press('enter'))],
  ];
  it.each(places)('shows the hints of the %s context', async (context, open) => {
    const c = await renderCockpit();
    await open(c);
    await c.until(() => c.statusLine() === hints(context), `the ${context} hints, ${hints(context)}`);
  });

  it('reads as the key map says in the agents view', async () => {
    const c = await renderCockpit();
    expect(c.statusLine()).toBe(
      'a reassign  r retry  d done  x cancel  enter attach  i reply  D dismiss  o output  ? help  q quit  n new task  p pause/resume',
    );
  });

  it('shows the outcome of the last action until esc brings the hints back', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.press('p');
    await c.until(() => c.statusLine() === 'Dispatch paused: running agents go on, no new task starts.', 'the outcome');
    await c.press('j');
    expect(c.statusLine()).toBe('Dispatch paused: running agents go on, no new task starts.');
    await c.press('esc');
    await c.until(() => c.statusLine() === hints('tasks'), 'the hints again');
    expect(c.currentView()).toBe('tasks');
  });

  it('shows the supervisor refusing an action, in red', async () => {
    const c = await renderCockpit();
    await c.select(1);
    await c.press('r');
    await c.waitFor('Task #1 is running; only a failed, stalled, cancelled task can be retried.');
    expect(rawStatus(c)).toContain(RED);
  });

  it('shows that a merge is running until it lands', async () => {
    const c = await renderCockpit();
    const release = c.client.hold('merge.approve');
    await c.goto('merges');
    await c.press('y');
    await c.until(() => c.statusLine() === '… merging #3', 'the busy line');
    release();
    await c.until(() => c.statusLine() === 'Landed #3 on main: 9f8e7d6 → 7e57ab1.', 'the landing');
  });

  it('says why a merge did not land', async () => {
    const c = await renderCockpit();
    c.client.refuse('merge.approve', 'conflict', 'Merge of #3 into main stopped: docs/api/orders.md conflicts with #8. r sends it back to its agent.');
    await c.goto('merges');
    await c.press('y');
    await c.waitFor('Merge of #3 into main stopped: docs/api/orders.md conflicts with #8. r sends it back to its agent.');
    expect(rawStatus(c)).toContain(RED);
    expect(c.statusLine()).not.toContain('merging');
  });
});

describe('NO_COLOR', () => {
  /** SGR parameters that set a colour: 30–39, 40–49, 90–97, 100–107. */
  const colourCodes = (raw: string) =>
    [...raw.matchAll(/\x1b\[([\d;]*)m/g)]
      .flatMap((m) => m[1]!.split(';').map(Number))
      .filter((n) => (n >= 30 && n <= 49) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107));

  /** Every view, every dialog and an error, as raw frames. */
  async function tour(theme: Theme): Promise<string[]> {
    const c = await renderCockpit({ theme });
    const frames = [c.rawFrame()];
    for (const view of ['tasks', 'locks', 'conflicts', 'merges', 'context', 'agents'] as const) {
      await c.goto(view);
      frames.push(c.rawFrame());
    }
    const steps: [string[], string][] = [
      [['?'], 'Keys — esc closes'],
      [['esc', 'n'], 'New task'],
      [['esc', 'x'], 'Cancel #1'],
      [['esc', 'q'], 'agents are running'],
      [['esc', '5', 'enter'], 'Diff of #3'],
      [['esc', '2', 'g', 'r'], 'only a failed, stalled, cancelled task can be retried'],
    ];
    for (const [keys, marker] of steps) {
      await c.press(...keys);
      await c.waitFor(marker);
      frames.push(c.rawFrame());
    }
    c.client.emit('notify', { kind: 'blocker', message: '#2 posted a blocker: STRIPE_KEY missing' });
    await c.waitFor('#2 posted a blocker');
    frames.push(c.rawFrame());
    return frames;
  }

  it('draws every view and dialog without a colour escape code', async () => {
    const frames = await tour(themeFor({ NO_COLOR: '1' }));
    for (const f of frames) expect(colourCodes(f)).toEqual([]);
    // Emphasis remains: the selection and the current view are still inverse.
    expect(frames[0]).toContain('\x1b[7m');
  });

  it('uses colour when NO_COLOR is not set, so the check above can fail', async () => {
    const frames = await tour(themeFor({}));
    expect(frames.flatMap(colourCodes).length).toBeGreaterThan(0);
  });

  it('treats an empty NO_COLOR as unset, as no-color.org says', () => {
    expect(themeFor({ NO_COLOR: '' }).color).toBe(true);
    expect(themeFor({ NO_COLOR: '1' }).color).toBe(false);
  });
});
