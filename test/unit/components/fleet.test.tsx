import './force-color.js';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.js';
import { PaneCompositor } from '../../../components/grid/compositor.js';
import { initialState } from '../../../components/model/cockpit-state.js';
import { CockpitStore } from '../../../components/model/cockpit-store.js';
import { CockpitController } from '../../../components/model/controller.js';
import { themeFor } from '../../../components/theme.js';
import { wireFleet } from '../../../components/tui/fleet-wiring.js';
import { CockpitContext } from '../../../components/use-cockpit.js';
import { FleetClient } from '../../../src/client/fleet-client.js';
import type { Link, LinkState } from '../../../src/client/resilient-client.js';
import { bytesForKey, DEFAULT_BINDINGS } from '../../../src/keymap/index.js';
import type { EventMessage } from '../../../src/protocol/messages.js';
import type { MethodName, ParamsOf, ResultOf } from '../../../src/protocol/methods.js';
import { FakeClient } from './fake-client.js';
import { shopTasks } from './fixtures.js';

/** A repository's link for the fleet: the fake supervisor, and a state the test sets. */
class FakeLink implements Link {
  state: LinkState = { kind: 'up' };
  private readonly stateListeners = new Set<(s: LinkState) => void>();

  constructor(readonly fake: FakeClient) {}

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return this.fake.call(method, params);
  }

  onEvent(l: (e: EventMessage) => void): () => void {
    return this.fake.onEvent(l);
  }

  onDisconnect(l: () => void): () => void {
    return this.fake.onDisconnect(l);
  }

  onState(l: (s: LinkState) => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  close(): void {}

  set(s: LinkState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  lose(message: string): void {
    this.fake.disconnect();
    this.set({ kind: 'lost', message, attempt: 1, retryInMs: 1000 });
  }
}

/** Polls a condition of the model (no frame to read): fails with what it waited for. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function renderFleet() {
  const shop = new FakeLink(new FakeClient());
  // The other repository: one running agent, one in review (tasks of the shop fixture).
  const lab = new FakeLink(new FakeClient(shopTasks().filter((t) => t.id === 1 || t.id === 3)));
  const fleet = new FleetClient([
    { name: 'shop', client: shop },
    { name: 'box:lab', client: lab },
  ]);
  await fleet.start();
  const store = new CockpitStore(initialState({ cols: 160, rows: 30 }));
  const bells: number[] = [];
  let wiring: ReturnType<typeof wireFleet> | null = null;
  const controller = new CockpitController(
    store,
    fleet,
    { bell: () => bells.push(Date.now()), quit: () => undefined, attach: () => undefined, rows: () => undefined, switchRepo: (d) => wiring?.switchRepo(d) },
    DEFAULT_BINDINGS,
  );
  const compositor = new PaneCompositor(() => undefined, fleet, false);
  wiring = wireFleet(fleet, controller, compositor, () => undefined);
  const app = render(
    <CockpitContext.Provider value={{ store, controller, theme: themeFor({}) }}>
      <App />
    </CockpitContext.Provider>,
  );
  cleanups.push(() => {
    controller.stop();
    wiring?.dispose();
    app.unmount();
  });
  const frame = () => stripVTControlCharacters(app.lastFrame() ?? '');
  const waitFor = async (text: string) => {
    const deadline = Date.now() + 10_000;
    while (!frame().includes(text)) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${JSON.stringify(text)}\n--- last frame ---\n${frame()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return frame();
  };
  const press = (key: string) => app.stdin.write(bytesForKey(key)!);
  await controller.start();
  return { shop, lab, fleet, store, controller, frame, waitFor, press, bells };
}

describe('a cockpit of several repositories', () => {
  it('shows every repository with what needs the operator, the current one in brackets', async () => {
    const c = await renderFleet();
    await c.waitFor('[shop (2 running, 1 waiting, 2 review, 1 failed)]  box:lab (1 running, 1 review)  [ ] switch │ blockers');
    expect(c.frame().split('\n')[0]).toContain('muster · shop · main@');
  });

  it('switches with ], and every action then goes to that repository only', async () => {
    const c = await renderFleet();
    await c.waitFor('[shop (');
    c.press(']');
    await c.waitFor('Showing box:lab.');
    await c.waitFor('muster · box:lab · main@');
    await c.waitFor('shop (2 running, 1 waiting, 2 review, 1 failed)  [box:lab (1 running, 1 review)]');
    // Nothing of shop stays on screen: lab's tasks only.
    c.press('2');
    await c.waitFor('Add rate limiting to login');
    expect(c.frame()).not.toContain('Fix flaky checkout test');
    c.press('p');
    await c.waitFor('Dispatch paused');
    expect(c.lab.fake.changes().map((x) => x.method)).toEqual(['dispatch.pause']);
    expect(c.shop.fake.changes()).toEqual([]);
    // [ goes back.
    c.press('[');
    await c.waitFor('[shop (');
    await c.waitFor('Fix flaky checkout test');
  });

  it("drops a read of the previous repository that answers after the switch: the views show only the current one's", async () => {
    const c = await renderFleet();
    await c.waitFor('Fix flaky checkout test');
    c.press('5');
    await until(() => c.store.getState().merges !== null, 'the merge queue of shop');
    const release = { status: c.shop.fake.hold('status'), merges: c.shop.fake.hold('merge.list') };
    // A refresh of shop is on its way when the operator switches to lab.
    const stale = c.controller.refresh();
    c.press(']');
    await c.waitFor('muster · box:lab · main@');
    await until(() => c.store.getState().merges !== null && c.lab.fake.callsOf('merge.list').length > 0, 'the merge queue of lab');
    const lab = c.store.getState();
    expect(lab.tasks.map((t) => t.id).sort()).toEqual([1, 3]);
    release.status();
    release.merges();
    await stale;
    const after = c.store.getState();
    expect(after.tasks.map((t) => t.id).sort()).toEqual([1, 3]);
    expect(after.status?.repo).toBe(lab.status?.repo);
    expect(after.merges).toEqual(lab.merges);
    expect(c.fleet.current).toBe(1);
  });

  it('subscribes a background repository only to what the header and notifications need, and the shown one to everything the views need', async () => {
    const c = await renderFleet();
    await c.waitFor('[shop (');
    const topics = (fake: FakeClient, method: 'subscribe' | 'unsubscribe') => fake.callsOf(method).flatMap((x) => (x as { topics: string[] }).topics);
    expect(new Set(topics(c.lab.fake, 'subscribe'))).toEqual(new Set(['task', 'notify']));
    expect(topics(c.shop.fake, 'subscribe')).toEqual(expect.arrayContaining(['task', 'notify', 'queue', 'conflicts', 'context', 'rows']));
    c.press(']');
    await c.waitFor('Showing box:lab.');
    await until(() => topics(c.lab.fake, 'subscribe').includes('rows'), "lab subscribed to the views' topics");
    expect(topics(c.lab.fake, 'subscribe')).toEqual(expect.arrayContaining(['queue', 'conflicts', 'context', 'rows']));
    await until(() => topics(c.shop.fake, 'unsubscribe').length > 0, 'shop unsubscribed');
    expect(new Set(topics(c.shop.fake, 'unsubscribe'))).toEqual(new Set(['queue', 'conflicts', 'context', 'rows', 'config', 'locks', 'merges']));
  });

  it('follows the other repositories: their counts move, and their notifications ring with their name', async () => {
    const c = await renderFleet();
    await c.waitFor('box:lab (1 running, 1 review)');
    c.lab.fake.changeTask(1, { state: 'review' });
    await c.waitFor('box:lab (2 review)');
    c.lab.fake.emit('notify', { kind: 'waiting-input', message: '#1 waits for input' });
    await c.waitFor('box:lab: #1 waits for input');
    expect(c.bells.length).toBe(1);
    // Only the current repository's own task events reach its views.
    expect(c.frame()).toContain('[shop (2 running');
  });

  it('says when the current link is lost, and reads everything again when it is back', async () => {
    const c = await renderFleet();
    await c.waitFor('[shop (');
    c.shop.lose('Connection to shop lost; retrying in 2 s…');
    await c.waitFor('[shop (connection lost)]');
    await c.waitFor('muster · shop · Connection to shop lost; retrying in 2 s…');
    const statusCalls = c.shop.fake.callsOf('status').length;
    c.shop.set({ kind: 'up' });
    await c.waitFor('Connection to shop is back.');
    await c.waitFor('[shop (2 running');
    expect(c.shop.fake.callsOf('status').length).toBeGreaterThan(statusCalls);
  });
});
