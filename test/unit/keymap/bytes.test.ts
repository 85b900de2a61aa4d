import { describe, expect, it } from 'vitest';
import { bytesForKey, DEFAULT_BINDINGS, findKey, keyFromBytes } from '../../../src/keymap/index.js';

describe('keyFromBytes', () => {
  it.each([
    ['\x1d', 'ctrl+]'],
    ['\x03', 'ctrl+c'],
    ['\x02', 'ctrl+b'],
    ['\x1c', 'ctrl+\\'],
    ['\x1f', 'ctrl+_'],
    ['\r', 'enter'],
    ['\t', 'tab'],
    ['\x7f', 'backspace'],
    ['\x1b', 'esc'],
    ['\x1b[A', 'up'],
    ['\x1bOA', 'up'],
    ['\x1b[1;5A', 'ctrl+up'],
    ['\x1b[5~', 'pageup'],
    ['\x1b[1~', 'home'],
    ['\x1b[F', 'end'],
    ['\x1b[Z', 'shift+tab'],
    ['\x1b[3~', 'delete'],
    ['\x1b[3;5~', 'ctrl+delete'],
    ['\x1bx', 'meta+x'],
    ['\x1b\r', 'meta+enter'],
    ['\x1b\x7f', 'meta+backspace'],
    ['\x15', 'ctrl+u'],
    ['\x1b\x1b', 'meta+esc'],
    ['a', 'a'],
    ['K', 'K'],
    [' ', 'space'],
    ['é', 'é'],
    // Keyboard protocols an attached agent may switch the terminal into.
    ['\x1b[93;5u', 'ctrl+]'],
    ['\x1b[27;5;93~', 'ctrl+]'],
    ['\x1b[13u', 'enter'],
  ])('names the chunk %j %s', (data, key) => {
    expect(keyFromBytes(data)).toBe(key);
  });

  it.each([
    ['pasted text', 'hello'],
    ['two keys at once', 'jk'],
    ['an F-key', '\x1b[15~'],
    ['a kitty key release', '\x1b[93;5:3u'],
    ['nothing', ''],
  ])('names no key for %s', (_what, data) => {
    expect(keyFromBytes(data)).toBeNull();
  });
});

describe('bytesForKey', () => {
  it.each([
    ['ctrl+]', '\x1d'],
    ['ctrl+b', '\x02'],
    ['ctrl+c', '\x03'],
    ['enter', '\r'],
    ['up', '\x1b[A'],
    ['meta+x', '\x1bx'],
    ['shift+tab', '\x1b[Z'],
    ['delete', '\x1b[3~'],
  ])('gives %s as the bytes a terminal sends, %j', (key, bytes) => {
    expect(bytesForKey(key)).toBe(bytes);
  });

  it('refuses names that are not canonical', () => {
    expect(bytesForKey('Ctrl+]')).toBeNull();
    expect(bytesForKey('shift+k')).toBeNull();
  });

  it('round-trips every key of the default map through the bytes a terminal sends', () => {
    const extra = ['ctrl+meta+x', 'meta+shift+tab', 'ctrl+space', 'meta+up', 'ctrl+pagedown', 'meta+['];
    for (const key of [...DEFAULT_BINDINGS.flatMap((b) => b.keys), ...extra]) {
      const bytes = bytesForKey(key);
      expect(bytes, key).not.toBeNull();
      expect(keyFromBytes(bytes ?? ''), key).toBe(key);
    }
  });
});

describe('findKey', () => {
  it('finds the detach byte inside a longer chunk so the bytes before it still reach the agent', () => {
    expect(findKey('ls -la\r\x1d', 'ctrl+]')).toEqual({ start: 7, end: 8 });
  });

  it('finds the detach key after the terminal was switched to the kitty keyboard protocol', () => {
    expect(findKey('ab\x1b[93;5ucd', 'ctrl+]')).toEqual({ start: 2, end: 9 });
    expect(findKey('\x1b[27;5;93~', 'ctrl+]')).toEqual({ start: 0, end: 10 });
  });

  it('ignores other keys and key releases', () => {
    expect(findKey('hello\x1b[A\x02', 'ctrl+]')).toBeNull();
    expect(findKey('\x1b[93;5:3u', 'ctrl+]')).toBeNull();
  });

  it('only looks for keys that are one control byte', () => {
    expect(findKey('abc', 'a')).toBeNull();
    expect(findKey('\x1b[A', 'up')).toBeNull();
  });
});
