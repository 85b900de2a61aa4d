import { DEFAULT_BINDINGS, type InputEvent, type KeyBinding, type KeyContext, type KeyName } from '../../src/keymap/index.js';
import { parseTopicEvent } from '../../src/protocol/topics.js';
import type { RowFrameView } from '../../src/protocol/shapes.js';
import type { Command } from './cockpit-command.js';
import type { CockpitEvent } from './cockpit-event.js';
import { initialInFlight, keyContext, type CockpitModel, type InFlight } from './cockpit-model.js';
import type { CockpitState } from './cockpit-state.js';
import type { CockpitClient, CockpitStore } from './cockpit-store.js';
import { update } from './update.js';

/** What the controller asks of the terminal program around it. */
export interface CockpitHost {
  bell(): void;
  quit(mode: 'detach' | 'stop'): void;
  attach(task: number): void;
  /** Pane rows arrived for the agents grid (drawn outside React). */
  rows(frame: RowFrameView): void;
  /**
   * Start the supervisor again and connect to it (after it went away). A cockpit without it
   * (several repositories, whose links reconnect by themselves) says so in the status line.
   */
  reconnect?(): void;
  /** Shows the next (+1) or previous (-1) repository; only a cockpit of several has it. */
  switchRepo?(delta: 1 | -1): void;
}

/**
 * Runs the cockpit: every key, supervisor event, answer and timer goes through `update` (pure,
 * in update.ts), and the commands it returns are run here — calling the supervisor, scheduling
 * timers, asking the host — their results fed back as events. Nothing is decided here.
 */
export class CockpitController {
  private io: InFlight = initialInFlight(Date.now());
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposers: (() => void)[] = [];
  private flashAt = 0;

  constructor(
    readonly store: CockpitStore,
    private readonly client: CockpitClient,
    private readonly host: CockpitHost,
    readonly bindings: readonly KeyBinding[] = DEFAULT_BINDINGS,
  ) {}

  get state(): CockpitState {
    return this.store.getState();
  }

  /**
   * Hands one event to `update`, stores what it returns and runs its commands. Resolves once
   * every call it started, and the calls their answers started, have been answered.
   */
  dispatch(event: CockpitEvent): Promise<void> {
    const model: CockpitModel = {
      ui: this.store.getState(),
      io: { ...this.io, now: Date.now() },
      bindings: this.bindings,
      host: { reconnect: !!this.host.reconnect, switchRepo: !!this.host.switchRepo },
    };
    const [next, commands] = update(model, event);
    this.io = next.io;
    this.store.update(() => next.ui);
    return Promise.all(commands.map((c) => this.execute(c))).then(() => undefined);
  }

  private async execute(c: Command): Promise<void> {
    switch (c.kind) {
      case 'call': {
        let answer: CockpitEvent;
        try {
          // `Call` pairs each method with its params; TypeScript cannot follow the pair through the union.
          const result = await this.client.call(c.call.method, c.call.params as never);
          answer = { kind: 'answered', then: c.then, result };
        } catch (e) {
          answer = { kind: 'refused', then: c.then, error: e instanceof Error ? e.message : String(e) };
        }
        return this.dispatch(answer);
      }
      case 'timer': {
        const name = c.timer.name;
        const old = this.timers.get(name);
        if (old) clearTimeout(old);
        const timer = setTimeout(() => {
          this.timers.delete(name);
          void this.dispatch({ kind: 'timer-fired', timer: c.timer });
        }, c.ms);
        // A message waiting to go away never keeps the process alive.
        if (name === 'flash') timer.unref?.();
        this.timers.set(name, timer);
        return;
      }
      case 'bell':
        return this.host.bell();
      case 'rows':
        return this.host.rows(c.frame);
      case 'quit':
        return this.host.quit(c.mode);
      case 'attach':
        return this.host.attach(c.task);
      case 'reconnect':
        return this.host.reconnect?.();
      case 'switch-repo':
        return this.host.switchRepo?.(c.delta);
    }
  }

  async start(): Promise<void> {
    // A message, whoever put it in the status line, stays for a while, then the key hints come back.
    this.disposers.push(
      this.store.subscribe(() => {
        const at = this.state.flash?.at ?? 0;
        if (!at || at === this.flashAt) return;
        this.flashAt = at;
        void this.dispatch({ kind: 'flash-shown', at });
      }),
      this.client.onEvent((e) => {
        const event = parseTopicEvent(e);
        if (event) void this.dispatch({ kind: 'published', event });
      }),
      this.client.onDisconnect(() => void this.dispatch({ kind: 'disconnected' })),
    );
    await this.dispatch({ kind: 'started' });
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposers.splice(0)) d();
  }

  /** A new connection to the supervisor is in use: follow it and show what it says now. */
  reconnected(): Promise<void> {
    return this.dispatch({ kind: 'reconnected' });
  }

  /** Starting the supervisor again failed: the reason stays on screen (a bad config, say). */
  reconnectFailed(message: string): void {
    void this.dispatch({ kind: 'reconnect-failed', message });
  }

  /** Reads everything on screen again. */
  refresh(): Promise<void> {
    return this.dispatch({ kind: 'refresh-asked' });
  }

  /** The keyboard context: the dialog on top, else the view. */
  context(): KeyContext {
    return keyContext(this.state);
  }

  /** The host came back from a full-screen attach by the detach key. */
  detached(task: number): void {
    void this.dispatch({ kind: 'detached', task });
  }

  /** One key or paste from the terminal, in the order they came. */
  handleInput(event: InputEvent): void {
    if (event.kind === 'key') return this.handleKey(event.key, event.text);
    void this.dispatch({ kind: 'input', input: event });
  }

  /** One key from the terminal; `text` is what it types (for forms). */
  handleKey(key: KeyName | null, text: string): void {
    void this.dispatch({ kind: 'input', input: { kind: 'key', key, text } });
  }
}
