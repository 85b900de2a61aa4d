import * as pkg from '@alcalzone/ansi-tokenize';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { styledCharsFromTokens, styledCharsToString, tokenize } from '../../../components/tui/ink-styled-chars.js';

const c = new Chalk({ level: 3 });

/** Lines styled as the cockpit's views style them: colours, bold, dim, inverse, nesting, wide characters. */
const LINES = [
  '',
  'plain text with trailing blanks   ',
  c.bold('ID   STATE     RISK   AGENT'),
  `${c.green('running  ')} ${c.yellow('high')} claude ${c.dim('idle+work')}`,
  c.inverse(`#12 ${c.red('failed')} reason: ${c.bold('exit 1')} and more`),
  c.bgBlue.white(' status line ') + c.reset(' after reset ') + c.hex('#ff8800')('truecolor'),
  c.ansi256(202)('256 colours ') + c.underline.italic('under') + c.strikethrough('gone'),
  `wide 日本語 ${c.cyan('🙂 emoji')} and ${c.dim.bold('dim bold')} ${c.bold.dim('bold dim')}`,
  c.bold(`outer ${c.dim('inner')} outer again ${c.bold('nested bold')} tail`),
  '\x1b]8;;https://example.com\x07link\x1b]8;;\x07 after a link',
];

describe("Ink's styled characters, made cheap", () => {
  it('turns each line into the same characters and back into the same string as the package', () => {
    for (const line of LINES) {
      const ours = styledCharsFromTokens(tokenize(line));
      expect(ours).toEqual(pkg.styledCharsFromTokens(pkg.tokenize(line)));
      expect(styledCharsToString(ours)).toBe(pkg.styledCharsToString(pkg.styledCharsFromTokens(pkg.tokenize(line))));
    }
  });

  it('draws rows composed of pieces of several lines (as Ink lays out cells) exactly as the package does', () => {
    const chars = LINES.map((l) => pkg.styledCharsFromTokens(pkg.tokenize(l)));
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let row = 0; row < 500; row++) {
      const composed = [];
      for (let piece = next(6); piece >= 0; piece--) {
        const from = chars[next(chars.length)]!;
        const at = next(from.length + 1);
        composed.push(...from.slice(at, at + next(20)));
        // Blank cells between pieces, as Ink's empty output cells.
        for (let k = next(4); k > 0; k--) composed.push({ type: 'char' as const, value: ' ', fullWidth: false, styles: [] });
      }
      expect(styledCharsToString(composed)).toBe(pkg.styledCharsToString(composed));
    }
  });

  it('answers a repeated line from memory, and a cut one (endChar) afresh', () => {
    const line = LINES[4]!;
    expect(tokenize(line)).toBe(tokenize(line));
    expect(styledCharsFromTokens(tokenize(line))).toBe(styledCharsFromTokens(tokenize(line)));
    expect(tokenize(line, 5)).toEqual(pkg.tokenize(line, 5));
  });
});
