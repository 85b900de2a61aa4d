import { afterEach, describe, expect, it } from 'vitest';
import { applyOverrides, DEFAULT_BINDINGS, type KeyBinding } from '../../../src/keymap/index.js';
import { closeCockpits, renderCockpit } from './cockpit.js';
import { FakeClient } from './fake-client.js';
import { shopTasks, taskView } from './fixtures.js';

afterEach(closeCockpits);

/** The key map as `keys:` in the config leaves it. */
function keys(overrides: Record<string, string>): readonly KeyBinding[] {
  const r = applyOverrides(DEFAULT_BINDINGS, overrides);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.bindings;
}

const moved = keys({ 'task.new': 'N', 'view.tasks': 'T', 'task.done': 'ctrl+d' });
const unbound = keys({ 'task.new': 'none', 'view.tasks': 'none', 'task.done': 'none' });

describe('texts that name a key, once keys: rebinds it', () => {
  it('the empty agents and tasks views name the keys that add a task and show the queue', async () => {
    const c = await renderCockpit({ client: new FakeClient([taskView({ id: 1, title: 'Add login page' })]), bindings: moved });
    await c.waitFor('No agent is running. N adds a task; T shows the queue.');
    const none = await renderCockpit({ client: new FakeClient([]), bindings: moved });
    await none.press('T');
    await none.waitFor('No tasks yet. N adds one.');
  });

  it('a paste outside a form names the key that opens a new task', async () => {
    const c = await renderCockpit({ bindings: moved });
    await c.paste('qxq');
    await c.waitFor('Pasted text goes into a form: N opens a new task.');
  });

  it("an agent idle with work names the key that sends it to review, in its row and in the supervisor's notice", async () => {
    const tasks = shopTasks().map((t) => (t.id === 1 ? { ...t, activity: 'idle' as const, idleWithWork: true } : t));
    const c = await renderCockpit({ client: new FakeClient(tasks), bindings: moved });
    await c.waitFor('#1 Add rate limiting to login · claude · idle with work (ctrl+d: review)');
    // The supervisor says why, not which key: each cockpit words the next step from its own key map.
    c.client.emit('notify', {
      kind: 'finished',
      task: 1,
      message: '#1 Add rate limiting to login: idle with 2 commits on its branch',
      reason: 'idle-with-work',
    });
    await c.waitFor('#1 Add rate limiting to login: idle with 2 commits on its branch; ctrl+d sends it to review.');
  });

  it('names no key for a command the key map leaves unbound', async () => {
    const tasks = shopTasks().map((t) => (t.id === 1 ? { ...t, activity: 'idle' as const, idleWithWork: true } : t));
    const c = await renderCockpit({ client: new FakeClient(tasks), bindings: unbound });
    await c.waitFor(/#1 Add rate limiting to login · claude · idle with work$/m);
    c.client.emit('notify', {
      kind: 'finished',
      task: 1,
      message: '#1 Add rate limiting to login: idle with 2 commits on its branch',
      reason: 'idle-with-work',
    });
    await c.waitFor((f) => /idle with 2 commits on its branch$/m.test(f));
    await c.paste('qxq');
    await c.waitFor(/Pasted text goes into a form\.$/m);
    const empty = await renderCockpit({ client: new FakeClient([taskView({ id: 1, title: 'Add login page' })]), bindings: unbound });
    await empty.waitFor(/No agent is running\.$/m);
  });
});
