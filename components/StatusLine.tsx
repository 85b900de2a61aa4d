import { Text } from 'ink';
import { hintsFor, type KeyBinding, type KeyContext } from '../src/keymap/index.js';
import type { CockpitState } from './model/cockpit-state.js';
import type { Theme } from './theme.js';

/** The status line: the outcome of the last action, else the current context's key hints. */
export function statusText(s: CockpitState, bindings: readonly KeyBinding[], context: KeyContext): string {
  if (s.busy) return `… ${s.busy}`;
  if (s.flash) return s.flash.text;
  return hintsFor(bindings, context)
    .map((h) => `${h.key} ${h.label}`)
    .join('  ');
}

export function StatusLine({ s, bindings, context, theme }: { s: CockpitState; bindings: readonly KeyBinding[]; context: KeyContext; theme: Theme }) {
  const tone = s.flash?.tone;
  const color = tone === 'error' ? theme.bad : tone === 'notice' ? theme.warn : undefined;
  return (
    <Text wrap="truncate" color={color} dimColor={!s.flash && !s.busy && theme.dim}>
      {statusText(s, bindings, context)}
    </Text>
  );
}
