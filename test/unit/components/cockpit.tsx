import './force-color.js';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { expect, vi } from 'vitest';
import { App } from '../../../components/App.js';
import { initialState, type ViewName } from '../../../components/model/cockpit-state.js';
import { CockpitStore } from '../../../components/model/cockpit-store.js';
import { CockpitController, type CockpitHost } from '../../../components/model/controller.js';
import { themeFor, type Theme } from '../../../components/theme.js';
import { CockpitContext } from '../../../components/use-cockpit.js';
import { bytesForKey, DEFAULT_BINDINGS, type KeyBinding, type KeyName } from '../../../src/keymap/index.js';
import type { MethodName } from '../../../src/protocol/methods.js';
import type { RowFrameView } from '../../../src/protocol/shapes.js';
import { FakeClient } from './fake-client.js';

/** What the cockpit asked of the terminal program around it, in order. */
export type HostEvent =
  | { kind: 'bell' }
  | { kind: 'quit'; mode: 'detach' | 'stop' }
  | { kind: 'attach'; task: number }
  | { kind: 'rows'; frame: RowFrameView }
  | { kind: 'reconnect' };

export const strip = (s: string): string => stripVTControlCharacters(s);
// Selected rows, the current view's tab and the focused form field are drawn inverse.
const INVERSE = '\x1b[7m';

export interface Cockpit {
  client: FakeClient;
  store: CockpitStore;
  controller: CockpitController;
  host: HostEvent[];
  /** The last frame, without escape codes. */
  frame(): string;
  rawFrame(): string;
  /** Polls the frame until it contains `what` (or `what(frame)` holds); returns that frame. */
  waitFor(what: string | RegExp | ((frame: string) => boolean), label?: string): Promise<string>;
  /** Polls any condition; a timeout error shows the last frame and the calls made. */
  until(check: () => boolean, label: string): Promise<void>;
  /** Sends the key's bytes through Ink and waits until the dispatcher heard exactly that key. */
  press(...keys: KeyName[]): Promise<void>;
  /** Types text one key at a time, as a person would. */
  type(text: string): Promise<void>;
  /** Sends text as a terminal delivers a bracketed paste: one paste, no keys. */
  paste(text: string): Promise<void>;
  /** Writes raw bytes in one chunk (keys typed faster than they are read), waiting until `events` keys or pastes were handled. */
  send(bytes: string, events: number): Promise<void>;
  /** The body row drawn inverse (the selection), without escape codes; null when none. */
  selectedRow(): string | null;
  /** The view whose tab the header shows as current. */
  currentView(): string | null;
  statusLine(): string;
  /** Opens a view with its number key and waits until its data is on screen. */
  goto(view: ViewName): Promise<void>;
  /** Puts the selection of the current view on an item (test setup), and waits for it to show. */
  select(id: number): Promise<void>;
}

const open: { unmount(): void }[] = [];

/** Unmounts every cockpit rendered by the test and stops its controller. */
export function closeCockpits(): void {
  for (const c of open.splice(0)) c.unmount();
}

const VIEW_MARKERS: Record<ViewName, string> = {
  agents: ' · claude · ',
  tasks: 'ACTIVITY',
  locks: 'RESOURCE',
  conflicts: 'DETAIL',
  merges: 'Target main@',
  context: '# Shared context',
};

export async function renderCockpit(
  opts: { client?: FakeClient; theme?: Theme; size?: { cols: number; rows: number }; bindings?: readonly KeyBinding[] } = {},
): Promise<Cockpit> {
  const client = opts.client ?? new FakeClient();
  const theme = opts.theme ?? themeFor({});
  const store = new CockpitStore(initialState(opts.size ?? { cols: 150, rows: 30 }));
  const host: HostEvent[] = [];
  const recorder: CockpitHost = {
    bell: () => host.push({ kind: 'bell' }),
    quit: (mode) => host.push({ kind: 'quit', mode }),
    attach: (task) => host.push({ kind: 'attach', task }),
    rows: (frame) => host.push({ kind: 'rows', frame }),
    reconnect: () => host.push({ kind: 'reconnect' }),
  };
  const controller = new CockpitController(store, client, recorder, opts.bindings ?? DEFAULT_BINDINGS);
  const heard = vi.spyOn(controller, 'handleKey');
  const inputs = vi.spyOn(controller, 'handleInput');
  const app = render(
    <CockpitContext.Provider value={{ store, controller, theme }}>
      <App />
    </CockpitContext.Provider>,
  );
  open.push({
    unmount: () => {
      controller.stop();
      app.unmount();
    },
  });

  const rawFrame = () => app.lastFrame() ?? '';
  const frame = () => strip(rawFrame());
  const until = async (check: () => boolean, label: string) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) {
        const calls = client.calls.map((c) => `${c.method} ${JSON.stringify(c.params)}`).join('\n');
        throw new Error(`Timed out waiting for ${label}\n--- last frame ---\n${frame()}\n--- calls ---\n${calls}\n--- host ---\n${JSON.stringify(host)}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const matches = (what: string | RegExp | ((f: string) => boolean), f: string) =>
    typeof what === 'string' ? f.includes(what) : what instanceof RegExp ? what.test(f) : what(f);
  const waitFor = async (what: string | RegExp | ((f: string) => boolean), label?: string) => {
    await until(() => matches(what, frame()), label ?? (typeof what === 'function' ? 'the frame' : `${String(what)} on screen`));
    return frame();
  };
  const press = async (...keys: KeyName[]) => {
    for (const key of keys) {
      const bytes = bytesForKey(key);
      if (bytes === null) throw new Error(`no bytes for key ${key}`);
      const before = heard.mock.calls.length;
      app.stdin.write(bytes);
      await until(() => heard.mock.calls.length > before, `the dispatcher to hear ${key}`);
      const got = heard.mock.calls[before]?.[0];
      if (got !== key) throw new Error(`Ink delivered ${String(got)} for ${key}`);
    }
  };
  const bodyLines = () => rawFrame().split('\n').slice(2, -1);
  const selectedRow = () => {
    const line = bodyLines().find((l) => l.includes(INVERSE));
    return line === undefined ? null : strip(line).trim();
  };
  const currentView = () => {
    const header = rawFrame().split('\n')[0] ?? '';
    for (const m of header.matchAll(/((?:\x1b\[[\d;]*m)+) \d ([a-z]+)/g)) if (m[1]!.includes(INVERSE)) return m[2]!;
    return null;
  };
  const statusLine = () => frame().split('\n').at(-1)?.trim() ?? '';

  await until(() => app.stdin.listenerCount('readable') > 0, 'Ink to read stdin');
  await controller.start();
  await waitFor('muster · shop', 'the header');

  const cockpit: Cockpit = {
    client,
    store,
    controller,
    host,
    frame,
    rawFrame,
    waitFor,
    until,
    press,
    type: async (text) => {
      for (const ch of text) await press(ch === ' ' ? 'space' : ch);
    },
    paste: async (text) => {
      const before = inputs.mock.calls.length;
      app.stdin.write(`\x1b[200~${text}\x1b[201~`);
      await until(() => inputs.mock.calls.length > before, 'the dispatcher to hear the paste');
      const got = inputs.mock.calls[before]?.[0];
      if (got?.kind !== 'paste' || got.text !== text) throw new Error(`Ink delivered ${JSON.stringify(got)} for a paste of ${JSON.stringify(text)}`);
    },
    send: async (bytes, events) => {
      const before = inputs.mock.calls.length;
      app.stdin.write(bytes);
      await until(() => inputs.mock.calls.length >= before + events, `the dispatcher to hear ${events} keys or pastes from ${JSON.stringify(bytes)}`);
    },
    selectedRow,
    currentView,
    statusLine,
    goto: async (view) => {
      await press(String(['agents', 'tasks', 'locks', 'conflicts', 'merges', 'context'].indexOf(view) + 1));
      await until(() => currentView() === view && frame().includes(VIEW_MARKERS[view]), `the ${view} view`);
    },
    select: async (id) => {
      store.update((s) => ({ ...s, selected: { ...s.selected, [s.view]: id } }));
      await waitSelected(cockpit, id);
    },
  };
  return cockpit;
}

/** Task ids of the list rows on screen, top to bottom (merge rows start with their queue number). */
export function listedIds(c: Cockpit): number[] {
  return c
    .frame()
    .split('\n')
    .slice(2, -1)
    .flatMap((l) => /^(?:\d+ +)?#(\d+) +(?:backlog|ready|running|review|merged|failed|cancelled|low|medium|high|\S.* · )/.exec(l)?.[1] ?? [])
    .map(Number);
}

export const isSelected = (c: Cockpit, id: number): boolean => new RegExp(`(^|\\s)#${id}\\s`).test(c.selectedRow() ?? '');

export const waitSelected = (c: Cockpit, id: number): Promise<void> => c.until(() => isSelected(c, id), `#${id} to be selected`);

/** Waits for the cockpit to call `method`, then checks it called it exactly once, with `params`. */
export async function calledOnce(c: Cockpit, method: MethodName, params: unknown): Promise<void> {
  await c.until(() => c.client.callsOf(method).length > 0, `a ${method} call`);
  expect(c.client.callsOf(method)).toEqual([params]);
}

/** What one key of the key map is expected to do, starting from a freshly rendered cockpit. */
export type Scenario = (c: Cockpit, key: KeyName) => Promise<void>;

export const noChanges = (c: Cockpit): void => expect(c.client.changes()).toEqual([]);

/** A dangerous key: `open` gets there, the key asks `question` and nothing happens until y; then `after`. */
export const confirmsThen =
  (open: (c: Cockpit) => Promise<void>, question: string, after: (c: Cockpit) => Promise<void>): Scenario =>
  async (c, key) => {
    await open(c);
    await c.press(key);
    await c.waitFor(question);
    noChanges(c);
    expect(c.host).toEqual([]);
    await c.press('y');
    await after(c);
  };
