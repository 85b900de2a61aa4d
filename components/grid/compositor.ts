import { gridLayout, type GridLayout, type Rect } from '../../src/pane/grid-layout.js';
import { wrapFrame } from '../../src/pane/frame-writer.js';
import { activityLabel } from '../../src/core/activity.js';
import { renderTitleBar, separatorFrame } from '../../src/pane/title-bar.js';
import type { RowFrameView } from '../../src/protocol/shapes.js';
import { DEFAULT_BINDINGS, type KeyBinding } from '../../src/keymap/index.js';
import { idleWithWorkText } from '../key-words.js';
import { HEADER_ROWS } from '../layout.js';
import { exitedText, paneTasks, selection, type CockpitState } from '../model/cockpit-state.js';
import type { TaskView } from '../../src/protocol/shapes.js';
import type { CockpitClient } from '../model/cockpit-store.js';

interface Pane {
  task: number;
  title: Rect;
  body: Rect;
  rows: string[];
  dirtyRows: Set<number>;
  titleText: string;
  titleDirty: boolean;
}

const FRAME_MS = 33;

/** The grid of the agents view for this terminal size. */
export function gridFor(s: CockpitState): GridLayout {
  return gridLayout(paneTasks(s).length, { top: HEADER_ROWS, left: 0, width: s.size.cols, height: s.size.rows - HEADER_ROWS - 1 });
}

/** Whether the live grid is drawn (outside Ink), or why not: null when it is. */
export function gridProblem(s: CockpitState): string | null {
  const tasks = paneTasks(s);
  if (!tasks.length) return 'empty';
  const g = gridFor(s);
  return g.kind === 'too-small' ? `The terminal is too small for ${tasks.length} panes (needs ${g.needed.width}x${g.needed.height}); showing a list.` : null;
}

/**
 * The live agent grid, drawn straight to the terminal outside React: the supervisor sends each
 * pane's changed rows (it already emulates every agent's terminal), and this writes them at
 * their place, with the title bars and the status line, in one synchronized write per frame.
 * CPU follows frames, not bytes; the selected pane is flushed at once so typing feels direct.
 */
export class PaneCompositor {
  private panes = new Map<number, Pane>();
  private separators: Rect[] = [];
  private layoutKey = '';
  private status = '';
  private statusDirty = true;
  private separatorsDirty = true;
  private timer: NodeJS.Timeout | null = null;
  private lastFlush = 0;
  active = false;
  private disposed = false;
  frames = 0;
  private lastSelected: string | number | null = null;

  constructor(
    private readonly write: (data: string) => void,
    private readonly client: Pick<CockpitClient, 'call'>,
    private readonly color: boolean,
    private readonly bindings: readonly KeyBinding[] = DEFAULT_BINDINGS,
  ) {}

  /** Brings layout, watches, titles and the status line in line with the cockpit state. */
  sync(s: CockpitState, statusLine: string): void {
    if (this.disposed) return;
    const showGrid = s.view === 'agents' && !s.overlay && s.attached === null;
    const tasks = paneTasks(s);
    const layout = gridFor(s);
    const wasActive = this.active;
    this.active = showGrid && layout.kind === 'grid' && tasks.length > 0;
    if (!this.active || layout.kind !== 'grid') {
      if (wasActive) {
        this.unwatchAll();
        // Ink only erases what it drew itself: the grid's rows go before it draws a full view.
        this.write(`\x1b7\x1b[${HEADER_ROWS + 1};1H\x1b[J\x1b8`);
      }
      return;
    }
    this.relayout(
      layout,
      tasks.map((t) => t.id),
      s,
    );
    const selected = selection(s, 'agents');
    // A keypress that moved the selection is answered at once, not on the next frame tick.
    const moved = selected !== this.lastSelected;
    if (moved) {
      // Only the selected pane shows its cursor.
      for (const id of [this.lastSelected, selected]) {
        const p = typeof id === 'number' ? this.panes.get(id) : undefined;
        if (p)
          void this.client
            .call('term.watch', { task: p.task, width: p.body.width, height: p.body.height, color: this.color, cursor: id === selected, resize: false })
            .catch(() => undefined);
      }
    }
    this.lastSelected = selected;
    for (const t of tasks) {
      const pane = this.panes.get(t.id);
      if (!pane) continue;
      const text = renderTitleBar({ id: t.id, title: t.title, agent: t.agent, activity: paneActivity(t, this.bindings) }, pane.title.width, {
        selected: t.id === selected,
        color: this.color,
      });
      if (text !== pane.titleText) {
        pane.titleText = text;
        pane.titleDirty = true;
      }
    }
    const line = statusLine.slice(0, s.size.cols).padEnd(s.size.cols);
    if (line !== this.status) {
      this.status = line;
      this.statusDirty = true;
    }
    if (!wasActive) this.invalidate();
    this.schedule(moved);
  }

  private relayout(layout: Extract<GridLayout, { kind: 'grid' }>, ids: number[], s: CockpitState): void {
    const key = `${s.size.cols}x${s.size.rows}|${ids.join(',')}`;
    if (key === this.layoutKey) return;
    this.layoutKey = key;
    const selected = selection(s, 'agents');
    const next = new Map<number, Pane>();
    ids.forEach((id, i) => {
      const slot = layout.panes[i]!;
      const old = this.panes.get(id);
      const same = old && old.body.width === slot.body.width && old.body.height === slot.body.height;
      next.set(id, { task: id, title: slot.title, body: slot.body, rows: same ? old.rows : [], dirtyRows: new Set(), titleText: '', titleDirty: true });
      if (!same || !old)
        void this.client
          .call('term.watch', { task: id, width: slot.body.width, height: slot.body.height, color: this.color, cursor: id === selected })
          .catch(() => undefined);
    });
    for (const id of this.panes.keys()) if (!next.has(id)) void this.client.call('term.unwatch', { task: id }).catch(() => undefined);
    this.panes = next;
    this.separators = layout.separators;
    this.invalidate();
  }

  /** The agents' terminals were resized elsewhere (a full-screen attach): watch them all again. */
  rewatch(): void {
    this.layoutKey = '';
    this.panes = new Map([...this.panes].map(([id, p]) => [id, { ...p, body: { ...p.body, width: -1 } }]));
  }

  private unwatchAll(): void {
    for (const id of this.panes.keys()) void this.client.call('term.unwatch', { task: id }).catch(() => undefined);
    this.panes.clear();
    this.layoutKey = '';
  }

  /** Rows the supervisor sent for one pane. */
  onRows(frame: RowFrameView, selected: number | null): void {
    const pane = this.panes.get(frame.task);
    if (!pane || frame.width !== pane.body.width || frame.height !== pane.body.height) return;
    if (frame.full) pane.rows = [];
    for (const [y, text] of frame.rows) {
      pane.rows[y] = text;
      pane.dirtyRows.add(y);
    }
    this.schedule(frame.task === selected);
  }

  /** Everything is drawn again on the next frame (after a resize, a dialog, Ink's own output). */
  invalidate(): void {
    for (const p of this.panes.values()) {
      p.titleDirty = true;
      for (let y = 0; y < p.body.height; y++) p.dirtyRows.add(y);
    }
    this.statusDirty = true;
    this.separatorsDirty = true;
    this.schedule(false);
  }

  /** Ink rewrote the screen's first `lines` rows: redraw what of the grid lies there. */
  afterInk(lines: number): void {
    if (!this.active) return;
    for (const p of this.panes.values()) {
      if (p.title.top <= lines) p.titleDirty = true;
      for (let y = 0; y < p.body.height && p.body.top + y <= lines; y++) p.dirtyRows.add(y);
    }
    this.separatorsDirty = true;
    this.statusDirty = true;
    this.schedule(true);
  }

  private schedule(now: boolean): void {
    if (!this.active) return;
    if (now && Date.now() - this.lastFlush >= 8) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.flush();
      },
      Math.max(0, FRAME_MS - (Date.now() - this.lastFlush)),
    );
  }

  flush(): void {
    if (!this.active || this.disposed) return;
    this.lastFlush = Date.now();
    let out = '';
    for (const p of this.panes.values()) {
      if (p.titleDirty) {
        out += `\x1b[${p.title.top + 1};${p.title.left + 1}H${p.titleText}`;
        p.titleDirty = false;
      }
      for (const y of p.dirtyRows) out += `\x1b[${p.body.top + y + 1};${p.body.left + 1}H${p.rows[y] ?? ' '.repeat(p.body.width)}`;
      p.dirtyRows.clear();
    }
    if (this.separatorsDirty) {
      for (const r of this.separators) out += separatorFrame(r, this.color);
      this.separatorsDirty = false;
    }
    if (this.statusDirty) {
      out += `\x1b[999;1H${this.status}`;
      this.statusDirty = false;
    }
    if (!out) return;
    this.frames++;
    this.write(wrapFrame(out));
  }

  dispose(): void {
    // Ink's last frame on unmount, or a late store update, must not re-arm a frame after the
    // terminal is restored.
    this.disposed = true;
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.unwatchAll();
  }
}

/**
 * A pane's activity: how an exited agent ended; an agent idle with commits on its branch says
 * so, with the key of the key map that sends it to review.
 */
function paneActivity(t: TaskView, bindings: readonly KeyBinding[]): string {
  const exited = exitedText(t);
  if (exited) return exited;
  if (t.idleWithWork) return idleWithWorkText(bindings, 'title');
  return activityLabel(t);
}
