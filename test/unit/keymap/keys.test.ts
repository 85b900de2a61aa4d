import { describe, expect, it } from 'vitest';
import { displayKey, isKeyName, parseKeySpec } from '../../../src/keymap/index.js';

describe('parseKeySpec', () => {
  it.each([
    ['C-]', 'ctrl+]'],
    ['c-]', 'ctrl+]'],
    ['Ctrl+]', 'ctrl+]'],
    ['ctrl-]', 'ctrl+]'],
    ['Control+]', 'ctrl+]'],
    ['^]', 'ctrl+]'],
    ['<C-]>', 'ctrl+]'],
    ['Ctrl + ]', 'ctrl+]'],
    ['C-b', 'ctrl+b'],
    ['^B', 'ctrl+b'],
    ['ctrl+shift+k', 'ctrl+k'],
    ['Enter', 'enter'],
    ['return', 'enter'],
    ['<CR>', 'enter'],
    ['Esc', 'esc'],
    ['escape', 'esc'],
    ['ESCAPE', 'esc'],
    ['Tab', 'tab'],
    ['S-Tab', 'shift+tab'],
    ['Shift+Tab', 'shift+tab'],
    ['M-x', 'meta+x'],
    ['alt+x', 'meta+x'],
    ['Option-x', 'meta+x'],
    ['Shift+k', 'K'],
    ['K', 'K'],
    ['k', 'k'],
    ['?', '?'],
    ['1', '1'],
    ['+', '+'],
    ['-', '-'],
    [' ', 'space'],
    ['Space', 'space'],
    ['PgUp', 'pageup'],
    ['Delete', 'delete'],
    ['del', 'delete'],
    ['page-down', 'pagedown'],
    ['Up', 'up'],
    ['ctrl+up', 'ctrl+up'],
    ['C-@', 'ctrl+space'],
  ])('reads the config spelling %j as %s', (spec, key) => {
    expect(parseKeySpec(spec)).toEqual({ ok: true, key });
  });

  it.each([
    ['ctrl+m', 'enter'],
    ['ctrl+i', 'tab'],
    ['ctrl+h', 'backspace'],
    ['ctrl+[', 'esc'],
    ['M-C-m', 'meta+enter'],
  ])('names %s by the key a terminal cannot tell it from (%s)', (spec, key) => {
    expect(parseKeySpec(spec)).toEqual({ ok: true, key });
  });

  it.each([
    ['ctrl+foo', /unknown key "ctrl\+foo": expected a single character .*key name \(enter, esc/],
    ['', /empty key: expected/],
    ['hyper+x', /unknown key "hyper\+x"/],
    ['shift+1', /write the character shift gives/],
    ['ctrl+enter', /same as enter/],
    ['ctrl+1', /ctrl works with letters/],
    ['ctrl+backspace', /same as backspace/],
    ['F5', /unknown key "F5"/],
  ])('refuses %j and says what is accepted', (spec, message) => {
    const parsed = parseKeySpec(spec);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('answers every canonical name it returns with that same name', () => {
    for (const spec of ['C-]', 'S-Tab', 'M-x', 'Shift+k', 'PgUp', 'ctrl+meta+x', 'meta+shift+up']) {
      const parsed = parseKeySpec(spec);
      if (!parsed.ok) throw new Error(parsed.message);
      expect(isKeyName(parsed.key)).toBe(true);
      expect(parseKeySpec(parsed.key)).toEqual(parsed);
    }
  });
});

describe('displayKey', () => {
  it.each([
    ['ctrl+]', 'ctrl+]'],
    ['enter', 'enter'],
    ['up', '↑'],
    ['ctrl+left', 'ctrl+←'],
    ['pagedown', 'pgdn'],
    ['K', 'K'],
  ])('shows %s as %s', (name, shown) => {
    expect(displayKey(name)).toBe(shown);
  });
});
