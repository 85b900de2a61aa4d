import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colorEnabled, renderRow } from '../../../src/pane/row-render.js';
import { lineSignature, strip, terminalWith } from './terminal.js';

/** Renders line `y` of a terminal that parsed `input`. */
async function row(input: string, cols = 20, opts: { color?: boolean; cursorX?: number; termCols?: number } = {}): Promise<string> {
  const e = await terminalWith(opts.termCols ?? cols, 4, input);
  const buf = e.term.buffer.active;
  const line = buf.getLine(0);
  return renderRow(line, cols, { color: opts.color ?? true, cell: buf.getNullCell(), ...(opts.cursorX === undefined ? {} : { cursorX: opts.cursorX }) });
}

function sgrs(text: string): string[] {
  return [...text.matchAll(/\x1b\[([0-9;]*)m/g)].map((m) => m[1] ?? '');
}

describe('renderRow', () => {
  it('pads plain text to the width with no escape sequence at all', async () => {
    expect(await row('hello', 10)).toBe('hello     ');
  });

  it('renders a missing line as blanks', () => {
    expect(renderRow(undefined, 4, { color: true })).toBe('    ');
  });

  it.each([
    ['\x1b[31m', '31'],
    ['\x1b[97m', '97'],
    ['\x1b[44m', '44'],
    ['\x1b[101m', '101'],
    ['\x1b[38;5;200m', '38;5;200'],
    ['\x1b[48;5;17m', '48;5;17'],
    ['\x1b[38;2;255;128;1m', '38;2;255;128;1'],
    ['\x1b[48;2;0;10;200m', '48;2;0;10;200'],
    ['\x1b[1m', '1'],
    ['\x1b[2m', '2'],
    ['\x1b[3m', '3'],
    ['\x1b[4m', '4'],
    ['\x1b[7m', '7'],
    ['\x1b[8m', '8'],
    ['\x1b[9m', '9'],
  ])('carries %j as SGR %s and resets at the end of the styled run', async (sgr, expected) => {
    const out = await row(`${sgr}ab\x1b[0mc`, 5);
    expect(out).toBe(`\x1b[${expected}mab\x1b[0mc  `);
  });

  it('emits an SGR only where attributes change between cells', async () => {
    const out = await row('\x1b[31mred\x1b[1mbold\x1b[22;32mgreen\x1b[0m', 12);
    expect(sgrs(out)).toEqual(['31', '1', '22;32', '0']);
    expect(strip(out)).toBe('redboldgreen');
  });

  it('sets dim again after clearing bold, since both share SGR 22', async () => {
    const out = await row('\x1b[1;2mx\x1b[22;2my\x1b[0m', 2);
    expect(sgrs(out)).toEqual(['1;2', '22;2', '0']);
  });

  it('ends with a reset when the last cell is styled, even when the row is full', async () => {
    const out = await row('\x1b[41mabcdef', 6);
    expect(out).toBe('\x1b[41mabcdef\x1b[0m');
  });

  it('keeps a background set by an erase to the end of the source line', async () => {
    const out = await row('\x1b[44m\x1b[Kx\x1b[0m', 4);
    expect(out).toBe('\x1b[44mx   \x1b[0m');
  });

  it('crops a long line to exactly the width', async () => {
    const out = await row('abcdefghij', 4, { termCols: 10 });
    expect(out).toBe('abcd');
  });

  it('pads with default attributes past the end of a narrower source line', async () => {
    const out = await row('\x1b[44m\x1b[Kab', 6, { termCols: 3 });
    expect(out).toBe('\x1b[44mab \x1b[0m   ');
  });

  it('draws wide characters in two cells and skips their placeholder cell', async () => {
    const out = await row('中文😀x', 8);
    expect(out).toBe('中文😀x ');
  });

  it('replaces a wide character that would straddle the right edge with a space', async () => {
    expect(await row('ab中', 3, { termCols: 10 })).toBe('ab ');
    expect(await row('\x1b[31mab中', 3, { termCols: 10 })).toBe('\x1b[31mab \x1b[0m');
  });

  it('drops colours and styles without colour but keeps inverse video', async () => {
    const out = await row('\x1b[1;31mred\x1b[0m \x1b[7msel\x1b[0m', 8, { color: false });
    expect(out).toBe('red \x1b[7msel\x1b[0m ');
  });

  it('draws the cursor as inverse video, also in the padding and with colour off', async () => {
    expect(await row('abc', 5, { cursorX: 1 })).toBe('a\x1b[7mb\x1b[0mc  ');
    expect(await row('abc', 5, { cursorX: 4, color: false, termCols: 3 })).toBe('abc \x1b[7m \x1b[27m');
    expect(await row('\x1b[7mabc', 3, { cursorX: 0 })).toBe('a\x1b[7mbc\x1b[0m');
  });

  it('covers both cells of a wide character under the cursor', async () => {
    expect(await row('a中b', 4, { cursorX: 1 })).toBe('a\x1b[7m中\x1b[0mb');
  });

  it('reproduces every cell when its output is written to another terminal', async () => {
    const part = fc.oneof(
      fc.constantFrom(
        '\x1b[0m',
        '\x1b[1m',
        '\x1b[2m',
        '\x1b[3m',
        '\x1b[4m',
        '\x1b[5m',
        '\x1b[7m',
        '\x1b[8m',
        '\x1b[9m',
        '\x1b[53m',
        '\x1b[22m',
        '\x1b[23m',
        '\x1b[27m',
        '\x1b[39m',
        '\x1b[49m',
        '\x1b[K',
      ),
      fc.integer({ min: 0, max: 15 }).map((n) => `\x1b[${n < 8 ? 30 + n : 82 + n}m`),
      fc.integer({ min: 0, max: 255 }).map((n) => `\x1b[48;5;${n}m`),
      fc.integer({ min: 0, max: 0xffffff }).map((n) => `\x1b[38;2;${n >> 16};${(n >> 8) & 255};${n & 255}m`),
      fc.constantFrom('a', 'xyz', ' ', '中', '😀', 'é', 'e\u0301'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 30 }), async (parts) => {
        const cols = 12;
        const source = await terminalWith(cols, 2, parts.join(''));
        const buf = source.term.buffer.active;
        const rendered = renderRow(buf.getLine(0), cols, { color: true, cell: buf.getNullCell() });
        const copy = await terminalWith(cols, 2, rendered);
        expect(lineSignature(copy, 0, cols)).toEqual(lineSignature(source, 0, cols));
        expect(copy.term.buffer.active.cursorX).toBe(cols);
      }),
      { numRuns: 150 },
    );
  });
});

describe('colorEnabled', () => {
  it('turns colour off when NO_COLOR is set to anything but the empty string', () => {
    expect(colorEnabled({})).toBe(true);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
  });
});
