import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, renderCockpit } from './cockpit.js';
import { FakeClient } from './fake-client.js';
import { endedTask, liveTask, taskView } from './fixtures.js';

afterEach(closeCockpits);

// A window-title OSC, a bell, a clear-screen and an 8-bit CSI: a terminal obeys each of them.
const EVIL = 'Fix \x1b]0;pwned\x07login \x1b[2J\u009b5m now';
const SHOWN = 'Fix \\x1b]0;pwned\\x07login \\x1b[2J\\x9b5m now';

/** Every character in a frame that a terminal would obey, but line breaks and the colours Ink draws with. */
function obeyed(raw: string): string[] {
  return [...raw.replace(/\x1b\[[0-9;]*m/g, '').matchAll(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g)].map((m) => JSON.stringify(m[0]));
}

function hostileClient(): FakeClient {
  return new FakeClient([
    liveTask({ id: 1, title: EVIL }, 1),
    endedTask({ id: 3, title: EVIL, state: 'review' }, 0),
    taskView({ id: 4, title: 'Quiet task', reason: 'held by \x1b[5mblinking\x1b[0m lock' }),
  ]);
}

describe('text from tasks in the cockpit', () => {
  it('shows a title with escape sequences escaped in the agents view, and sends none of them to the terminal', async () => {
    const c = await renderCockpit({ client: hostileClient() });
    await c.waitFor(SHOWN);
    expect(obeyed(c.rawFrame())).toEqual([]);
  });

  it('shows titles and reasons escaped in the tasks table', async () => {
    const c = await renderCockpit({ client: hostileClient() });
    await c.goto('tasks');
    await c.waitFor('held by \\x1b[5mblinking');
    expect(c.frame()).toContain('Fix \\x1b]0;pwned\\x07login');
    expect(obeyed(c.rawFrame())).toEqual([]);
  });

  it('shows the merge detail (title, commit subjects) escaped', async () => {
    const c = await renderCockpit({ client: hostileClient() });
    await c.goto('merges');
    await c.select(3);
    await c.waitFor(`${SHOWN}: first pass`);
    expect(obeyed(c.rawFrame())).toEqual([]);
  });
});
