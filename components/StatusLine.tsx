import { Text } from 'ink';
import { displayLine } from '../src/core/display-text.js';
import { hintsFor, type KeyBinding, type KeyContext } from '../src/keymap/index.js';
import type { CockpitState } from './model/cockpit-state.js';
import type { Theme } from './theme.js';

/** Hints that stay when the line is too narrow for all: how to learn the rest, and how to leave. */
const ESSENTIAL: ReadonlySet<string> = new Set(['app.help', 'app.quit']);

/**
 * The status line: the outcome of the last action, else the current context's key hints that
 * fit `width`, dropping from the end but never `? help` or `q quit`.
 */
export function statusText(s: CockpitState, bindings: readonly KeyBinding[], context: KeyContext, width = Infinity): string {
  if (s.busy) return `… ${s.busy}`;
  if (s.flash) return s.flash.text;
  const hints = hintsFor(bindings, context).map((h) => ({ id: h.id, text: `${h.key} ${h.label}` }));
  const line = (hs: typeof hints) => hs.map((h) => h.text).join('  ');
  while (line(hints).length > width) {
    const drop = hints.findLastIndex((h) => !ESSENTIAL.has(h.id));
    if (drop < 0) break;
    hints.splice(drop, 1);
  }
  return line(hints);
}

export function StatusLine({ s, bindings, context, theme }: { s: CockpitState; bindings: readonly KeyBinding[]; context: KeyContext; theme: Theme }) {
  const tone = s.flash?.tone;
  const color = tone === 'error' ? theme.bad : tone === 'notice' ? theme.warn : undefined;
  return (
    <Text wrap="truncate" color={color} dimColor={!s.flash && !s.busy && theme.dim}>
      {displayLine(statusText(s, bindings, context, s.size.cols))}
    </Text>
  );
}
