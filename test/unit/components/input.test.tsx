import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, renderCockpit, waitSelected } from './cockpit.js';

afterEach(closeCockpits);

describe('keys that arrive in one read', () => {
  // A busy machine or SSH delivers esc and the next key together; terminals send alt+key the
  // same way. Unbound as alt+key, they are esc, then the key.
  it('reads esc then 2 as leaving the message, then the tasks view', async () => {
    const c = await renderCockpit();
    await c.send('\x1b2', 1);
    await c.until(() => c.currentView() === 'tasks', 'the tasks view');
  });

  it('reads esc then j in a form as cancelling it, then moving the selection', async () => {
    const c = await renderCockpit();
    await c.select(1);
    await c.press('n');
    await c.waitFor('New task');
    await c.send('\x1bj', 1);
    await c.waitFor((f) => !f.includes('New task'));
    await waitSelected(c, 2);
    expect(c.client.changes()).toEqual([]);
  });

  it('runs nothing for text pasted outside a form, and says where pastes go', async () => {
    const c = await renderCockpit();
    await c.paste('qxq');
    await c.waitFor('Pasted text goes into a form: n opens a new task.');
    expect(c.host).toEqual([]);
    expect(c.client.changes()).toEqual([]);
  });
});
