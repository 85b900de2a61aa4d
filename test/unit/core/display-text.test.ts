import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayLine, displayText, terminalSafeJson } from '../../../src/core/display-text.js';

// What a terminal obeys rather than shows: C0, DEL, C1, line/paragraph separators, bidi controls.
const OBEYED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('displayLine', () => {
  it.each([
    ['an SGR colour and a bell', 'evil \x1b[31mRED\x1b[0m\x07 title', 'evil \\x1b[31mRED\\x1b[0m\\x07 title'],
    ['a window-title OSC', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['an 8-bit CSI', 'a\u009b2Jb', 'a\\x9b2Jb'],
    ['line breaks, tabs and carriage returns', 'a\nb\tc\rd', 'a\\nb\\tc\\rd'],
    ['a right-to-left override', 'txt.\u202eexe', 'txt.\\u202eexe'],
    ['DEL and NUL', 'a\x7fb\0c', 'a\\x7fb\\x00c'],
  ])('shows %s escaped', (_name, raw, shown) => {
    expect(displayLine(raw)).toBe(shown);
  });

  it('leaves printable text alone: unicode, emoji, shell metacharacters, backslashes', () => {
    for (const s of ['Fix the login — café 😀 中文', '$(rm -rf /) `id` ; | & > <', 'C:\\path\\x1b']) expect(displayLine(s)).toBe(s);
  });

  it('never lets a character a terminal would obey through', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(displayLine(s)).not.toMatch(OBEYED);
      }),
    );
  });
});

describe('displayText', () => {
  it('keeps line breaks and tabs of a block and escapes every other control', () => {
    expect(displayText('line 1\n\tline 2\x1b[2J\r\n')).toBe('line 1\n\tline 2\\x1b[2J\\r\n');
  });

  it('never lets a character through that a terminal would obey, but newline and tab', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(displayText(s).replace(/[\n\t]/g, '')).not.toMatch(OBEYED);
      }),
    );
  });
});

describe('terminalSafeJson', () => {
  it('keeps the value and the layout, and escapes what JSON.stringify writes raw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const value = { v, s };
        const json = terminalSafeJson(JSON.stringify(value, null, 2));
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(json.replace(/\n/g, '')).not.toMatch(OBEYED);
      }),
    );
  });

  it('writes C1 controls and bidi overrides as \\u escapes', () => {
    expect(terminalSafeJson(JSON.stringify({ title: 'a\u009bb\u202ec\x1b' }))).toBe('{"title":"a\\u009bb\\u202ec\\u001b"}');
  });
});
