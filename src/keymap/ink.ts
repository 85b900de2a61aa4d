import type { Key } from 'ink';
import { keyFromBytes } from './bytes.js';
import { composeKey, splitKey, type KeyName } from './keys.js';

function namedFromFlags(key: Key): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return 'tab';
  // Ink names the byte 0x7f "delete", and that is what the Backspace key sends in most
  // terminals; the real Delete key arrives with the same flag, so both are backspace here.
  if (key.backspace || key.delete) return 'backspace';
  return null;
}

const orNull = (composed: ReturnType<typeof composeKey>): KeyName | null =>
  composed.ok ? composed.key : null;

/**
 * The canonical name of the key behind one `useInput(input, key)` call, or null for pasted
 * text and keys no binding can name (F-keys, insert, kitty release events).
 *
 * Render with `exitOnCtrlC: false`: otherwise Ink exits on ctrl+c before any handler hears it.
 */
export function keyFromInk(input: string, key: Key): KeyName | null {
  if (key.eventType === 'release') return null;
  const named = namedFromFlags(key);
  if (named !== null) {
    // Ink sets `meta` on every escape, since ESC is also the meta prefix.
    const meta = key.meta && named !== 'esc';
    return orNull(composeKey({ ctrl: key.ctrl, meta, shift: key.shift, base: named }));
  }
  const chars = [...input];
  const char = chars[0];
  if (char === undefined || chars.length > 1) return null;
  if (key.ctrl) {
    // Ink turns byte 0x00 into ctrl with a backtick (0x00 + 0x60); terminals send it for ctrl+space.
    if (char === '`') return key.meta ? 'ctrl+meta+space' : 'ctrl+space';
    // Legacy ctrl+letter arrives as the letter with `ctrl` set; kitty does the same for symbols.
    return orNull(composeKey({ ctrl: true, meta: key.meta, shift: false, base: char }));
  }
  // Ink passes control bytes it has no name for (0x1c-0x1f, so ctrl+]) through as input.
  const fromByte = keyFromBytes(char);
  if (fromByte === null) return null;
  if (!key.meta) return fromByte;
  const parts = splitKey(fromByte);
  return parts === null ? null : orNull(composeKey({ ...parts, meta: true }));
}
