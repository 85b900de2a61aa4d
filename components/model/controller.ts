import { DEFAULT_BINDINGS, helpSections, resolveKey, type CommandId, type KeyBinding, type KeyContext, type KeyName } from '../../src/keymap/index.js';
import { MusterError } from '../../src/protocol/errors.js';
import type { ParamsOf } from '../../src/protocol/methods.js';
import * as z from 'zod/mini';
import { conflictViewSchema, rowFrameSchema, taskViewSchema, type RowFrameView } from '../../src/protocol/shapes.js';

const conflictListSchema = z.array(conflictViewSchema);
import {
  flash,
  moveSelection,
  paneTasks,
  selectedTask,
  selection,
  upsertTask,
  withStatus,
  type CockpitState,
  type ViewName,
} from './cockpit-state.js';
import type { CockpitClient, CockpitStore } from './cockpit-store.js';
import { fieldValue, focusField, listValue, newTaskForm, reassignForm, rejectForm, typeInto } from './forms.js';

/** What the controller asks of the terminal program around it. */
export interface CockpitHost {
  bell(): void;
  quit(mode: 'detach' | 'stop'): void;
  attach(task: number): void;
  /** Pane rows arrived for the agents grid (drawn outside React). */
  rows(frame: RowFrameView): void;
}

/** How long the outcome of an action stays in the status line. */
const FLASH_MS = 10_000;

const VIEW_OF: Partial<Record<CommandId, ViewName>> = {
  'view.agents': 'agents',
  'view.tasks': 'tasks',
  'view.locks': 'locks',
  'view.conflicts': 'conflicts',
  'view.merges': 'merges',
  'view.context': 'context',
};

/**
 * The cockpit's one key dispatcher and its commands: a key resolves through the key map in
 * the context on top (a dialog, else the view) to one command; commands call the supervisor
 * and report their outcome in the status line. No component reads keys on its own.
 */
export class CockpitController {
  private refreshTimer: NodeJS.Timeout | null = null;
  private submitting = false;
  private readonly disposers: (() => void)[] = [];

  constructor(
    readonly store: CockpitStore,
    private readonly client: CockpitClient,
    private readonly host: CockpitHost,
    readonly bindings: readonly KeyBinding[] = DEFAULT_BINDINGS,
  ) {}

  get state(): CockpitState {
    return this.store.getState();
  }

  async start(): Promise<void> {
    this.disposers.push(this.store.subscribe(() => this.expireFlash()));
    this.disposers.push(
      this.client.onEvent((e) => this.onEvent(e.topic, e.data)),
      this.client.onDisconnect(() => this.store.update((s) => flash({ ...s, connected: false }, 'The supervisor went away. Start muster again.', 'error'))),
    );
    await this.client.call('subscribe', { topics: ['task', 'queue', 'conflicts', 'context', 'notify', 'rows'] });
    await this.refresh();
  }

  private flashTimer: NodeJS.Timeout | null = null;
  private flashAt = 0;

  /** A message stays in the status line for a while, then the key hints come back. */
  private expireFlash(): void {
    const at = this.state.flash?.at ?? 0;
    if (!at || at === this.flashAt) return;
    this.flashAt = at;
    if (this.flashTimer) clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => this.store.update((s) => (s.flash?.at === at ? { ...s, flash: null } : s)), FLASH_MS);
    this.flashTimer.unref?.();
  }

  stop(): void {
    if (this.flashTimer) clearTimeout(this.flashTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const d of this.disposers) d();
  }

  /** Reloads status, and the data of the view on screen. */
  async refresh(): Promise<void> {
    try {
      const status = await this.client.call('status', {});
      this.store.update((s) => withStatus(s, status));
      await this.loadView(this.state.view);
    } catch (e) {
      this.fail(e);
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, 150);
  }

  private async loadView(view: ViewName): Promise<void> {
    if (view === 'merges') {
      const merges = await this.client.call('merge.list', {});
      this.store.update((s) => ({ ...s, merges }));
    } else if (view === 'context') {
      const c = await this.client.call('context.show', {});
      this.store.update((s) => ({ ...s, context: { text: c.text, blockers: c.blockers, unread: c.unread } }));
    }
  }

  private onEvent(topic: string, data: unknown): void {
    switch (topic) {
      case 'rows': {
        const frame = rowFrameSchema.safeParse(data);
        if (frame.success) this.host.rows(frame.data);
        return;
      }
      case 'task': {
        const t = taskViewSchema.safeParse(data);
        if (t.success) this.store.update((s) => upsertTask(s, t.data));
        this.scheduleRefresh();
        return;
      }
      case 'conflicts': {
        const list = conflictListSchema.safeParse(data);
        if (list.success) this.store.update((s) => ({ ...s, conflicts: list.data }));
        return;
      }
      case 'notify': {
        const n = data as { kind?: string; message?: string };
        this.host.bell();
        this.store.update((s) => flash(s, n.message ?? 'Something needs you', n.kind === 'failed' || n.kind === 'blocker' ? 'error' : 'notice'));
        this.scheduleRefresh();
        return;
      }
      default:
        this.scheduleRefresh();
    }
  }

  /** The keyboard context: the dialog on top, else the view. */
  context(): KeyContext {
    const o = this.state.overlay;
    return o ? (o.kind as KeyContext) : this.state.view;
  }

  /** One key from the terminal; `text` is what it types (for forms). */
  handleKey(key: KeyName | null, text: string): void {
    const ctx = this.context();
    const id = key ? resolveKey(this.bindings, ctx, key) : null;
    if (id) {
      void this.run(id);
      return;
    }
    const overlay = this.state.overlay;
    if (overlay?.kind === 'form') {
      if (key === 'backspace') this.setForm(typeInto(overlay.form, 'backspace'));
      else if (text && !/[\x00-\x1f\x7f]/.test(text)) this.setForm(typeInto(overlay.form, key === 'space' ? ' ' : text));
    }
  }

  private setForm(form: Extract<CockpitState['overlay'], { kind: 'form' }>['form']): void {
    this.store.update((s) => ({ ...s, overlay: { kind: 'form', form } }));
  }

  private binding(id: CommandId): KeyBinding | undefined {
    return this.bindings.find((b) => b.id === id);
  }

  /** Runs a command; a dangerous one asks y/n first. */
  async run(id: CommandId, confirmed = false): Promise<void> {
    const b = this.binding(id);
    if (b?.dangerous && !confirmed) {
      const task = selectedTask(this.state);
      const what = id === 'task.cancel' ? `Cancel #${task?.id} ${task?.title ?? ''} and stop its agent? Its work is archived.` : id === 'merge.undo' ? 'Undo the last merge? The target returns to its previous tip.' : id === 'quit.stop-all' ? 'Stop every agent and the supervisor? Their tasks can be restarted.' : `${b.description}?`;
      if (id === 'task.cancel' && !task) return this.say('No task is selected.', 'error');
      this.store.update((s) => ({ ...s, overlay: { kind: 'confirm', message: what, command: id, task: task?.id ?? null } }));
      return;
    }
    try {
      await this.execute(id);
    } catch (e) {
      this.fail(e);
    }
  }

  private say(text: string, tone: 'info' | 'error' | 'notice' = 'info'): void {
    this.store.update((s) => flash(s, text, tone));
  }

  private fail(e: unknown): void {
    const message = e instanceof MusterError ? e.message : (e as Error).message;
    this.store.update((s) => flash({ ...s, busy: null }, message, 'error'));
  }

  private close(): void {
    this.store.update((s) => ({ ...s, overlay: null }));
  }

  private task(): { id: number; title: string } | null {
    const t = selectedTask(this.state);
    if (!t) this.say('Select a task first (arrows or j/k).', 'error');
    return t;
  }

  private async execute(id: CommandId): Promise<void> {
    const view = VIEW_OF[id];
    if (view) {
      this.store.update((s) => ({ ...s, view, overlay: null }));
      await this.loadView(view);
      return;
    }
    switch (id) {
      case 'app.help':
        return this.store.update((s) => ({ ...s, overlay: { kind: 'help', scroll: 0 } }));
      case 'app.quit':
        if (this.state.tasks.some((t) => t.state === 'running')) return this.store.update((s) => ({ ...s, overlay: { kind: 'quit' } }));
        return this.host.quit('detach');
      case 'app.back':
        return this.store.update((s) => (s.flash ? { ...s, flash: null } : s.view !== 'agents' ? { ...s, view: 'agents' } : s));
      case 'nav.up':
      case 'nav.left':
        return this.store.update((s) => moveSelection(s, -1));
      case 'nav.prev-pane':
        return this.store.update((s) => (selection(s) === paneTasks(s)[0]?.id && s.view === 'agents' ? moveSelection(s, 'last') : moveSelection(s, -1)));
      case 'nav.down':
      case 'nav.right':
        return this.store.update((s) => moveSelection(s, 1));
      case 'nav.next-pane':
        return this.store.update((s) => (selection(s) === paneLast(s) && s.view === 'agents' ? moveSelection(s, 'first') : moveSelection(s, 1)));
      case 'nav.page-up':
        return this.store.update((s) => moveSelection(s, -10));
      case 'nav.page-down':
        return this.store.update((s) => moveSelection(s, 10));
      case 'nav.top':
        return this.store.update((s) => moveSelection(s, 'first'));
      case 'nav.bottom':
        return this.store.update((s) => moveSelection(s, 'last'));
      case 'task.new':
        return this.store.update((s) => ({ ...s, overlay: { kind: 'form', form: newTaskForm(s.status?.defaultAgent ?? 'claude') } }));
      case 'dispatch.toggle': {
        const paused = this.state.status?.paused ?? false;
        await this.client.call(paused ? 'dispatch.resume' : 'dispatch.pause', {});
        this.say(paused ? 'Dispatch resumed.' : 'Dispatch paused: running agents go on, no new task starts.');
        return this.refresh();
      }
      case 'task.reassign': {
        const t = selectedTask(this.state);
        if (!t) return this.say('Select a task first.', 'error');
        return this.store.update((s) => ({ ...s, overlay: { kind: 'form', form: reassignForm(t) } }));
      }
      case 'queue.move-up':
      case 'queue.move-down': {
        const t = this.task();
        if (!t) return;
        await this.client.call('task.move', { id: t.id, move: this.queueMove(t.id, id === 'queue.move-up' ? -1 : 1) });
        return this.refresh();
      }
      case 'task.retry': {
        const t = this.task();
        if (!t) return;
        await this.client.call('task.retry', { id: t.id });
        return this.say(`#${t.id} queued again.`);
      }
      case 'task.done': {
        const t = this.task();
        if (!t) return;
        await this.client.call('task.done', { id: t.id });
        return this.say(`#${t.id} is ready for review.`);
      }
      case 'task.cancel': {
        const t = this.confirmedTask();
        if (!t) return;
        const v = await this.client.call('task.cancel', { id: t });
        return this.say(`Cancelled #${t}${v.reason ? ` (${v.reason})` : ''}.`);
      }
      case 'agent.attach': {
        const t = selection(this.state, 'agents');
        if (typeof t !== 'number') return this.say('No agent is running.', 'error');
        return this.host.attach(t);
      }
      case 'merge.diff': {
        const t = this.task();
        if (!t) return;
        const { diff } = await this.client.call('merge.diff', { id: t.id });
        return this.store.update((s) => ({ ...s, overlay: { kind: 'diff', task: t.id, lines: diff.split('\n'), scroll: 0 } }));
      }
      case 'merge.approve':
        return this.approve();
      case 'merge.reject': {
        const t = selectedTask(this.state);
        if (!t) return this.say('Select a task first.', 'error');
        return this.store.update((s) => ({ ...s, overlay: { kind: 'form', form: rejectForm(t) } }));
      }
      case 'merge.skip': {
        const t = this.task();
        if (!t) return;
        await this.client.call('merge.skip', { id: t.id });
        this.say(`#${t.id} moved to the back of the merge queue.`);
        return this.loadView('merges');
      }
      case 'merge.undo': {
        this.close();
        const r = await this.client.call('merge.undo', {});
        this.say(`Undid the merge of #${r.task}: ${r.target} is back at ${r.to.slice(0, 7)}.`, 'notice');
        return this.refresh();
      }
      case 'context.ack': {
        const r = await this.client.call('context.ack', {});
        this.say(`Blockers acknowledged (${r.unread} unread).`);
        return this.refresh();
      }
      case 'diff.up':
      case 'diff.down':
      case 'diff.page-up':
      case 'diff.page-down':
      case 'diff.top':
      case 'diff.bottom':
        return this.scrollDiff(id);
      case 'diff.close':
      case 'help.close':
      case 'confirm.no':
      case 'quit.cancel':
      case 'form.cancel':
        return this.close();
      case 'help.up':
      case 'help.down':
        return this.scrollHelp(id === 'help.up' ? -1 : 1);
      case 'form.next-field':
      case 'form.prev-field': {
        const o = this.state.overlay;
        if (o?.kind === 'form') this.setForm(focusField(o.form, id === 'form.next-field' ? 1 : -1));
        return;
      }
      case 'form.submit':
        return this.submitForm();
      case 'confirm.yes': {
        const o = this.state.overlay;
        if (o?.kind !== 'confirm') return;
        this.store.update((s) => ({ ...s, overlay: null, selected: o.task !== null ? { ...s.selected, [s.view]: o.task } : s.selected }));
        return this.run(o.command, true);
      }
      case 'quit.detach':
        return this.host.quit('detach');
      case 'quit.stop-all':
        return this.host.quit('stop');
      case 'attach.detach':
        return;
    }
  }

  /**
   * The merge queue is the review tasks in queue order, so a plain "up" only swaps a merge with
   * its neighbour in the whole queue, often a task that is not even in review: in the merges
   * view the task moves to the place of the merge before (after) it instead.
   */
  private queueMove(task: number, delta: -1 | 1): ParamsOf<'task.move'>['move'] {
    const kind = delta < 0 ? 'up' : 'down';
    if (this.state.view !== 'merges') return { kind };
    const queue = this.state.merges?.queue ?? [];
    const at = queue.findIndex((e) => e.task.id === task);
    const position = at < 0 ? null : (queue[at + delta]?.task.position ?? null);
    return position === null ? { kind } : { kind: 'to', position };
  }

  private confirmedTask(): number | null {
    const t = selectedTask(this.state);
    return t?.id ?? null;
  }

  private async approve(): Promise<void> {
    if (this.state.busy) return this.say(`Wait: ${this.state.busy} is still running.`, 'notice');
    const t = this.task();
    if (!t) return;
    this.store.update((s) => flash({ ...s, busy: `merging #${t.id}` }, `Merging #${t.id}: integrating and running the quality gates…`, 'notice'));
    const r = await this.client.call('merge.approve', { id: t.id });
    this.store.update((s) => ({ ...s, busy: null }));
    if (r.landed) this.say(`Landed #${t.id} on ${r.target}: ${r.from.slice(0, 7)} → ${r.to.slice(0, 7)}.${r.warning ? ` ${r.warning}` : ''}`, 'notice');
    else this.say(r.message, 'error');
    await this.refresh();
  }

  // Clamped like the overlay draws it, so k scrolls up at once however often j was pressed.
  private scrollHelp(delta: number): void {
    const lines = helpSections(this.bindings).reduce((n, section) => n + 1 + section.rows.length, 0);
    this.store.update((s) => {
      if (s.overlay?.kind !== 'help') return s;
      const max = Math.max(0, lines - Math.max(1, s.size.rows - 5));
      return { ...s, overlay: { kind: 'help', scroll: Math.max(0, Math.min(max, s.overlay.scroll + delta)) } };
    });
  }

  private scrollDiff(id: CommandId): void {
    this.store.update((s) => {
      if (s.overlay?.kind !== 'diff') return s;
      const page = Math.max(1, s.size.rows - 5);
      const max = Math.max(0, s.overlay.lines.length - page);
      const by: Record<string, number> = { 'diff.up': -1, 'diff.down': 1, 'diff.page-up': -page, 'diff.page-down': page, 'diff.top': -Infinity, 'diff.bottom': Infinity };
      const scroll = Math.max(0, Math.min(max, s.overlay.scroll + (by[id] ?? 0)));
      return { ...s, overlay: { ...s.overlay, scroll } };
    });
  }

  private async submitForm(): Promise<void> {
    const o = this.state.overlay;
    // A second enter while the supervisor answers would add the task twice.
    if (o?.kind !== 'form' || this.submitting) return;
    const form = o.form;
    this.submitting = true;
    try {
      if (form.kind === 'new-task') {
        const after = listValue(form, 'after').map((x) => Number(x.replace(/^#/, '')));
        if (after.some((x) => !Number.isInteger(x) || x < 1)) throw new MusterError('bad-input', 'After takes task ids such as 3, 5.');
        const t = await this.client.call('task.add', {
          title: fieldValue(form, 'title'),
          prompt: fieldValue(form, 'prompt') || undefined,
          agent: fieldValue(form, 'agent') || undefined,
          writes: listValue(form, 'writes'),
          reads: listValue(form, 'reads'),
          after,
          risk: fieldValue(form, 'risk') || undefined,
        });
        this.close();
        this.say(`Added #${t.id} ${t.title} (${t.state}${t.reason ? `: ${t.reason}` : ''}).`);
      } else if (form.kind === 'reassign' && form.task !== null) {
        const t = await this.client.call('task.assign', { id: form.task, agent: fieldValue(form, 'agent') });
        this.close();
        this.say(`#${t.id} is now assigned to ${t.agent}.`);
      } else if (form.kind === 'reject' && form.task !== null) {
        const t = await this.client.call('merge.reject', { id: form.task, reason: fieldValue(form, 'feedback') });
        this.close();
        this.say(`#${t.id} sent back to its agent with the feedback.`);
      }
      await this.refresh();
    } catch (e) {
      // The form stays open with the reason, so nothing typed is lost.
      const message = e instanceof Error ? e.message : String(e);
      this.setForm({ ...form, error: message });
    } finally {
      this.submitting = false;
    }
  }
}

function paneLast(s: CockpitState): number | null {
  return paneTasks(s).at(-1)?.id ?? null;
}
