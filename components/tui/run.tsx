import { render, type Instance } from 'ink';
import { applyOverrides, DEFAULT_BINDINGS, keysFor } from '../../src/keymap/index.js';
import { MusterError } from '../../src/protocol/errors.js';
import { App } from '../App.js';
import { PaneCompositor } from '../grid/compositor.js';
import { initialState, selection } from '../model/cockpit-state.js';
import type { MusterClient } from '../../src/client/client.js';
import { CockpitStore, type CockpitClient } from '../model/cockpit-store.js';
import { CockpitController } from '../model/controller.js';
import type { AttachEnd } from '../model/cockpit-event.js';
import { statusText } from '../StatusLine.js';
import { themeFor } from '../theme.js';
import { CockpitContext } from '../use-cockpit.js';
import { attachFullScreen } from './attach-mode.js';
import { ReconnectingClient, type Connector } from './reconnecting-client.js';
import { wireFleet, type FleetWiring } from './fleet-wiring.js';
import type { FleetClient } from '../../src/client/fleet-client.js';
import { COCKPIT_MODES, COCKPIT_MODES_OFF, ENTER_ALT_KEEP, guardTerminal } from './terminal-guard.js';

export interface TuiOptions {
  client: MusterClient | (CockpitClient & { close(): void });
  /**
   * One repository: connects again after its supervisor went away, starting it when asked. A
   * fleet's links reconnect by themselves.
   */
  connect?: Connector;
  keys: Record<string, string>;
  /** Several repositories (or a remote one): `client` is this fleet, showing its current one. */
  fleet?: FleetClient;
}

/** How often the cockpit looks for a supervisor someone else started, while it has none. */
const RECONNECT_POLL_MS = 1000;

/**
 * `muster` in a terminal: the alternate screen, Ink for header, tables, dialogs and the status
 * line, the pane compositor for the live grid, and raw passthrough for attach. Returns the
 * exit code; agents keep running unless the operator chose "stop all".
 */
export async function runTui({ client: first, connect, keys, fleet }: TuiOptions): Promise<number> {
  const out = process.stdout;
  const input = process.stdin;
  if (!out.isTTY || !input.isTTY) throw new MusterError('bad-input', 'muster needs a terminal; for scripts use "muster status --json" or "muster run".');
  const applied = applyOverrides(DEFAULT_BINDINGS, keys);
  if (!applied.ok) throw new MusterError('config', applied.problems.join('\n'));
  const bindings = applied.bindings;
  const detachKey = keysFor(bindings, 'attach.detach')[0] ?? 'ctrl+]';
  const theme = themeFor(process.env);
  const restore = guardTerminal(out, input);
  // The CLI already drew the header on the alternate screen: keep it, clear the rest.
  out.write(`${ENTER_ALT_KEEP}${COCKPIT_MODES}\x1b[3;1H\x1b[J\x1b[H`);

  const store = new CockpitStore(initialState({ cols: out.columns, rows: out.rows }));
  const link = !fleet && connect ? new ReconnectingClient(first as MusterClient, connect) : null;
  const client: CockpitClient & { close(): void } = link ?? first;
  const compositor = new PaneCompositor((d) => out.write(d), client, theme.color, bindings);
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (finish = r));
  const controller = new CockpitController(
    store,
    client,
    {
      bell: () => out.write('\x07'),
      rows: (frame) => compositor.onRows(frame, selection(store.getState(), 'agents') as number | null),
      quit: (mode) => {
        void (async () => {
          if (mode === 'stop') await client.call('daemon.stop', {}).catch(() => undefined);
          finish(0);
        })();
      },
      attach: (task) => void attach(task),
      ...(link
        ? {
            reconnect: () => {
              link.reconnect(true).catch((e: unknown) => controller.reconnectFailed(e instanceof Error ? e.message : String(e)));
            },
          }
        : {}),
      ...(fleet && fleet.members.length > 1 ? { switchRepo: (delta: 1 | -1) => wiring?.switchRepo(delta) } : {}),
    },
    bindings,
  );

  // Without a supervisor the cockpit says so (the controller's offline dialog) and connects
  // again by itself as soon as one runs; r starts one.
  let poll: NodeJS.Timeout | null = null;
  link?.onDisconnect(() => {
    poll ??= setInterval(() => void link.reconnect(false), RECONNECT_POLL_MS);
  });
  link?.onReconnect(() => {
    if (poll) clearInterval(poll);
    poll = null;
    compositor.rewatch();
    void controller.reconnected().then(syncGrid);
  });

  // Ink writes through this: after each of its writes the grid rows it touched are redrawn —
  // the rows of its new frame and those it erased first (one erase-line each).
  const inkOut = new Proxy(out, {
    get(target, prop) {
      if (prop === 'write') {
        return (chunk: string, ...rest: unknown[]) => {
          const ok = target.write(chunk, ...(rest as []));
          const erased = chunk.split('\x1b[2K').length - 1;
          compositor.afterInk(Math.max(erased, chunk.split('\n').length) + 1);
          return ok;
        };
      }
      // Ink redraws on resize relative to where it thinks the cursor is, which the grid and the
      // clear below have moved: the cockpit remounts it on a blank screen instead (onResize).
      if (prop === 'on' || prop === 'addListener' || prop === 'off' || prop === 'removeListener') {
        return (event: string, fn: (...a: unknown[]) => void) =>
          event === 'resize' ? inkOut : (target[prop] as (e: string, f: typeof fn) => unknown)(event, fn);
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });

  let ink: Instance | null = null;
  const mount = () => {
    ink = render(
      <CockpitContext.Provider value={{ store, controller, theme }}>
        <App gridOutside />
      </CockpitContext.Provider>,
      {
        stdout: inkOut,
        stdin: input,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
  };

  const syncGrid = () => {
    const s = store.getState();
    compositor.sync(s, statusText(s, bindings, controller.context(), s.size.cols));
  };
  const unsubscribeGrid = store.subscribe(syncGrid);
  const wiring: FleetWiring | null = fleet ? wireFleet(fleet, controller, compositor, syncGrid) : null;
  // Every resize repaints everything: Ink from scratch on a blank screen, the grid at the new
  // layout (its panes are watched again at their new size, idle ones included). Resize events
  // come in bursts while a window is dragged; the last one counts.
  let resizeTimer: NodeJS.Timeout | null = null;
  const onResize = () => {
    if (resizeTimer) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      resizeTimer = null;
      // The attached view follows the terminal on its own (attach-mode.ts).
      if (store.getState().attached !== null || !ink) return;
      ink.unmount();
      out.write(`${COCKPIT_MODES}\x1b[H\x1b[2J`);
      void controller.dispatch({ kind: 'resized', size: { cols: out.columns, rows: out.rows } });
      mount();
      compositor.invalidate();
    }, 30);
  };
  out.on('resize', onResize);

  async function attach(task: number): Promise<void> {
    // Ink goes first: a render of its own still pending would erase rows of the agent's screen.
    ink?.unmount();
    ink = null;
    void controller.dispatch({ kind: 'attach-began', task });
    compositor.sync(store.getState(), '');
    const hint = ` #${task} attached · ${detachKey} detaches · every other key goes to the agent `;
    let end: AttachEnd = { kind: 'unsaid' };
    out.write(COCKPIT_MODES_OFF);
    try {
      const exitedHint = ` #${task}'s agent has exited: this is its last screen · ${detachKey} returns `;
      const outcome = await attachFullScreen(client, task, { detachKey, out, input, hint, exitedHint, color: theme.color });
      if (outcome.kind === 'detached' || outcome.kind === 'ended') end = outcome;
    } catch (e) {
      end = { kind: 'failed', message: (e as Error).message };
    }
    // The cockpit's own terminal state again, whatever the view did: its screen, its modes.
    out.write(`${ENTER_ALT_KEEP}${COCKPIT_MODES}\x1b[H\x1b[2J`);
    void controller.dispatch({ kind: 'attach-ended', task, size: { cols: out.columns, rows: out.rows }, outcome: end });
    mount();
    compositor.rewatch();
    syncGrid();
  }

  mount();
  try {
    await controller.start();
  } catch (e) {
    void controller.dispatch({ kind: 'start-failed', message: (e as Error).message });
  }
  syncGrid();
  const code = await finished;
  // Nothing may reach the grid once quitting began: the supervisor closing the connection
  // after "stop all" still updates the store, and a frame drawn then lands on the shell's screen.
  unsubscribeGrid();
  if (poll) clearInterval(poll);
  wiring?.dispose();
  controller.stop();
  compositor.dispose();
  out.off('resize', onResize);
  if (resizeTimer) clearTimeout(resizeTimer);
  (ink as Instance | null)?.unmount();
  restore();
  client.close();
  return code;
}
