import { helpSections, type CommandId, type KeyBinding } from '../../src/keymap/index.js';
import type { CockpitState } from './cockpit-state.js';

// Clamped like the overlay draws it, so k scrolls up at once however often j was pressed.
export function scrollHelp(s: CockpitState, bindings: readonly KeyBinding[], delta: number): CockpitState {
  if (s.overlay?.kind !== 'help') return s;
  const lines = helpSections(bindings).reduce((n, section) => n + 1 + section.rows.length, 0);
  const max = Math.max(0, lines - Math.max(1, s.size.rows - 5));
  return { ...s, overlay: { kind: 'help', scroll: Math.max(0, Math.min(max, s.overlay.scroll + delta)) } };
}

export function scrollDiff(s: CockpitState, id: CommandId): CockpitState {
  if (s.overlay?.kind !== 'diff') return s;
  const page = Math.max(1, s.size.rows - 5);
  const max = Math.max(0, s.overlay.lines.length - page);
  const by: Record<string, number> = {
    'diff.up': -1,
    'diff.down': 1,
    'diff.page-up': -page,
    'diff.page-down': page,
    'diff.top': -Infinity,
    'diff.bottom': Infinity,
  };
  const scroll = Math.max(0, Math.min(max, s.overlay.scroll + (by[id] ?? 0)));
  return { ...s, overlay: { ...s.overlay, scroll } };
}
