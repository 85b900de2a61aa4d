import { render, type Instance } from 'ink';
import { applyOverrides, DEFAULT_BINDINGS, keysFor } from '../../src/keymap/index.js';
import { MusterError } from '../../src/protocol/errors.js';
import { App } from '../App.js';
import { PaneCompositor } from '../grid/compositor.js';
import { initialState, selection } from '../model/cockpit-state.js';
import { CockpitStore, type CockpitClient } from '../model/cockpit-store.js';
import { CockpitController } from '../model/controller.js';
import { statusText } from '../StatusLine.js';
import { themeFor } from '../theme.js';
import { CockpitContext } from '../use-cockpit.js';
import { attachFullScreen } from './attach-mode.js';
import { ENTER_ALT_KEEP, guardTerminal } from './terminal-guard.js';

export interface TuiOptions {
  client: CockpitClient & { close(): void };
  keys: Record<string, string>;
}

/**
 * `muster` in a terminal: the alternate screen, Ink for header, tables, dialogs and the status
 * line, the pane compositor for the live grid, and raw passthrough for attach. Returns the
 * exit code; agents keep running unless the operator chose "stop all".
 */
export async function runTui({ client, keys }: TuiOptions): Promise<number> {
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
  out.write(`${ENTER_ALT_KEEP}\x1b[3;1H\x1b[J\x1b[H`);

  const store = new CockpitStore(initialState({ cols: out.columns, rows: out.rows }));
  const compositor = new PaneCompositor((d) => out.write(d), client, theme.color);
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
    },
    bindings,
  );

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
    compositor.sync(s, statusText(s, bindings, controller.context()));
  };
  const unsubscribeGrid = store.subscribe(syncGrid);
  const onResize = () => {
    store.update((s) => ({ ...s, size: { cols: out.columns, rows: out.rows } }));
    out.write('\x1b[H\x1b[2J');
    compositor.invalidate();
  };
  out.on('resize', onResize);

  async function attach(task: number): Promise<void> {
    // Ink goes first: a render of its own still pending would erase rows of the agent's screen.
    ink?.unmount();
    ink = null;
    store.update((s) => ({ ...s, attached: task }));
    compositor.sync(store.getState(), '');
    try {
      await attachFullScreen(client, task, detachKey, out, input);
    } catch (e) {
      store.update((s) => ({ ...s, flash: { text: (e as Error).message, tone: 'error', at: Date.now() } }));
    }
    // Ink draws its whole frame again on a fresh screen, and the grid comes back under it.
    out.write('\x1b[H\x1b[2J');
    store.update((s) => ({ ...s, attached: null, size: { cols: out.columns, rows: out.rows } }));
    mount();
    compositor.rewatch();
    syncGrid();
  }

  mount();
  try {
    await controller.start();
  } catch (e) {
    store.update((s) => ({ ...s, flash: { text: (e as Error).message, tone: 'error', at: Date.now() } }));
  }
  syncGrid();
  const code = await finished;
  // Nothing may reach the grid once quitting began: the supervisor closing the connection
  // after "stop all" still updates the store, and a frame drawn then lands on the shell's screen.
  unsubscribeGrid();
  controller.stop();
  compositor.dispose();
  out.off('resize', onResize);
  (ink as Instance | null)?.unmount();
  restore();
  client.close();
  return code;
}
