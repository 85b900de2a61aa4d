import type { CommandId } from '../../src/keymap/index.js';
import { withUi, type CockpitModel } from './cockpit-model.js';
import { overlayLines } from './detail-lines.js';
import { loadDetail, type Step } from './refresh.js';

/** The task detail overlay on these tasks (a conflict's, or one), loading the first. */
export function openDetail(m: CockpitModel, tasks: number[]): Step {
  return loadDetail(
    withUi(m, (s) => ({ ...s, overlay: { kind: 'detail', tasks, index: 0, scroll: 0, detail: null, error: null } })),
    false,
  );
}

/** Tab steps to the next (previous) of a conflict's tasks. */
export function stepDetail(m: CockpitModel, delta: 1 | -1): Step {
  const o = m.ui.overlay;
  if (o?.kind !== 'detail' || o.tasks.length < 2) return [m, []];
  const index = (o.index + delta + o.tasks.length) % o.tasks.length;
  return loadDetail(
    withUi(m, (s) => ({ ...s, overlay: { ...o, index, scroll: 0, detail: null, error: null } })),
    false,
  );
}

// Clamped like the overlay draws it, so k scrolls up at once however often j was pressed.
export function scrollDetail(m: CockpitModel, id: CommandId): CockpitModel {
  return withUi(m, (s) => {
    if (s.overlay?.kind !== 'detail') return s;
    const page = Math.max(1, s.size.rows - 5);
    const lines = overlayLines(s.overlay, s.size.cols - 1, m.bindings, { conflicts: s.conflicts }).length;
    const max = Math.max(0, lines - page);
    const by: Record<string, number> = {
      'detail.up': -1,
      'detail.down': 1,
      'detail.page-up': -page,
      'detail.page-down': page,
      'detail.top': -Infinity,
      'detail.bottom': Infinity,
    };
    const scroll = Math.max(0, Math.min(max, Math.min(s.overlay.scroll, max) + (by[id] ?? 0)));
    return { ...s, overlay: { ...s.overlay, scroll } };
  });
}
