import { createRequire } from 'node:module';
import type { IBuffer, Terminal as TerminalType } from '@xterm/headless';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Emulator } from '../../../src/adapters/pty/emulator.js';
import { plainCut } from '../../../src/adapters/pty/plain-run.js';
import { cellSignature } from '../pane/terminal.js';

const require = createRequire(import.meta.url);
const { Terminal } = require('@xterm/headless') as { Terminal: typeof TerminalType };

/** Every cell of the screen, each row's wrap flag, the cursor and the modes. */
function screenOf(term: TerminalType): string[] {
  const buf = term.buffer.active;
  const cell = buf.getNullCell();
  const out = [`cursor ${buf.cursorX},${buf.cursorY} ${buf.type}`, JSON.stringify(term.modes)];
  for (let y = 0; y < term.rows; y++) {
    const line = buf.getLine(buf.baseY + y);
    const cells: string[] = [];
    for (let x = 0; x < term.cols; x++) cells.push(cellSignature(line!.getCell(x, cell)!));
    out.push(`${line!.isWrapped} ${cells.join('|')}`);
  }
  return out;
}

function historyOf(buf: IBuffer, from = 0): string[] {
  const out: string[] = [];
  for (let y = from; y < buf.baseY; y++) out.push(buf.getLine(y)!.translateToString(false));
  return out;
}

/** The whole output through a plain xterm, parsed in one go. */
async function reference(cols: number, rows: number, scrollback: number, chunks: string[]): Promise<TerminalType> {
  const term = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
  await new Promise<void>((r) => term.write(chunks.join(''), r));
  return term;
}

/** The same output through the emulator, a burst at a time. */
async function emulated(cols: number, rows: number, scrollback: number, chunks: string[]): Promise<Emulator> {
  const e = new Emulator(cols, rows, scrollback);
  for (const c of chunks) {
    // In pieces, as a PTY hands them over, split anywhere (inside a sequence too).
    for (let at = 0; at < c.length; at += 7) e.write(c.slice(at, at + 7));
    await e.flush();
  }
  return e;
}

const line = fc
  .array(fc.constantFrom('a', 'b', ' ', 'é', '界', '\t', '\x1b[31m', '\x1b[1;44m', '\x1b[0m', '\x1b[m', '\x1b[38;5;200m', '\b'), { maxLength: 40 })
  .map((parts) => parts.join(''));
/** Something that is not plain text: a move, a mode, an erase, the alternate screen. */
const control = fc.constantFrom(
  '\x1b[3;4H',
  '\x1b[2J',
  '\x1b[?1049h',
  '\x1b[?1049l',
  '\x1b[2;5r',
  '\x1b[r',
  '\x1b[4h',
  '\x1b[4l',
  '\x1b[K',
  '\x1b[5A',
  '\x1b7',
  '\x1b8',
  '\x1b[',
);
const mixed = fc
  .array(fc.oneof({ weight: 6, arbitrary: line.map((l) => `${l}\r\n`) }, { weight: 1, arbitrary: line }, { weight: 1, arbitrary: control }), { maxLength: 60 })
  .map((parts) => parts.join(''));
/** A flood of lines, ending in the middle of one (or of a sequence) or not. */
const flood = fc
  .tuple(fc.array(line, { minLength: 40, maxLength: 200 }), fc.constantFrom('', 'partial', '\x1b[3', '\x1b[?10'))
  .map(([lines, end]) => lines.map((l) => `${l}\r\n`).join('') + end);
const burst = fc.oneof(mixed, flood);

describe('Emulator skipping a flood of plain lines', () => {
  it('shows the same screen, cell for cell, as parsing every byte, and keeps a gap-free end of the history', async () => {
    // A cut-off sequence followed by text is a parse error xterm reports on the console.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let skipped = 0;
    let fromBottom = 0;
    await fc.assert(
      // Each run starts and ends with a flood: the first fills the history, so the last is skipped unless a mode left on forbids it.
      fc.asyncProperty(
        fc.integer({ min: 5, max: 30 }),
        fc.integer({ min: 2, max: 8 }),
        fc.tuple(flood, fc.array(burst, { maxLength: 5 }), flood).map(([a, mid, z]) => [a, ...mid, z]),
        async (cols, rows, chunks) => {
          const full = await reference(cols, rows, 10, chunks);
          const e = await emulated(cols, rows, 10, chunks);
          try {
            expect(screenOf(e.term)).toEqual(screenOf(full));
            const mine = historyOf(e.term.buffer.normal, e.historyStart());
            const all = historyOf(full.buffer.normal);
            expect(all.slice(all.length - mine.length)).toEqual(mine);
            // All of the history it keeps (10 lines), up to the flood's end: a taller view pulls them down.
            expect(mine.length).toBeGreaterThanOrEqual(Math.min(10, all.length));
            skipped += e.stats.skipped;
            fromBottom += e.stats.fromBottom;

            e.resize(cols, rows + 10);
            await e.flush();
            full.resize(cols, rows + 10);
            expect(screenOf(e.term)).toEqual(screenOf(full));
          } finally {
            e.dispose();
            full.dispose();
          }
        },
      ),
      { numRuns: 150 },
    );
    quiet.mockRestore();
    expect(skipped).toBeGreaterThan(0);
    // From a cursor on the bottom row, where one screen of the end is parsed (the other way is below).
    expect(fromBottom).toBeGreaterThan(0);
  });

  it('shows the same screen after a flood that starts with the cursor higher up, over rows it prints only part of', async () => {
    // 8 rows, 20 lines of history kept: a cut needs 27 line feeds after it, and more before it the higher the cursor starts.
    // Old lines that fill their last row too: a flood's line printed over one leaves part of it.
    const old = Array.from({ length: 200 }, (_, i) => `\x1b[44mold line ${String(i).padStart(3, '0')} ${'x'.repeat(66)}`).join('\r\n');
    let cuts = 0;
    for (const row of [1, 2, 5, 7, 8]) {
      for (let lines = 27; lines <= 38; lines++) {
        const flood = Array.from({ length: lines }, (_, i) => `\x1b[3${i % 8}mnew ${i}\x1b[0m\r\n`).join('');
        const chunks = [old, `\x1b[${row};1H`, flood, 'end'];
        const e = await emulated(40, 8, 20, chunks);
        const full = await reference(40, 8, 20, chunks);
        try {
          expect(screenOf(e.term)).toEqual(screenOf(full));
          const mine = historyOf(e.term.buffer.normal, e.historyStart());
          const all = historyOf(full.buffer.normal);
          expect(mine.length).toBeGreaterThanOrEqual(20);
          expect(all.slice(all.length - mine.length)).toEqual(mine);
          cuts += e.stats.cuts;
        } finally {
          e.dispose();
          full.dispose();
        }
      }
    }
    expect(cuts).toBeGreaterThan(10);
  });

  it('shows the same screen after the flood when a taller view resizes it', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `\x1b[3${i % 8}mline ${i}\x1b[0m\r\n`).join('');
    const e = await emulated(80, 12, 1000, [lines, lines]);
    const full = await reference(80, 12, 1000, [lines, lines]);
    expect(e.stats.skipped).toBeGreaterThan(0);
    for (const [cols, rows] of [
      [80, 60],
      [100, 110],
      [40, 20],
    ] as const) {
      e.resize(cols, rows);
      await e.flush();
      full.resize(cols, rows);
      expect(screenOf(e.term)).toEqual(screenOf(full));
    }
    e.dispose();
    full.dispose();
  });

  it('parses only the end of a flood of plain lines once its history is full', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `\x1b[3${i % 8}mline ${i}\x1b[0m\r\n`).join('');
    const e = await emulated(80, 24, 1000, [lines, lines, lines]);
    const full = await reference(80, 24, 1000, [lines, lines, lines]);
    expect(screenOf(e.term)).toEqual(screenOf(full));
    // The first flood fills the emulator's history; the rest are parsed from their ends.
    expect(e.stats.skipped).toBeGreaterThan(0.6 * e.stats.parsed);
    e.dispose();
    full.dispose();
  });
});

describe('plainCut', () => {
  it('cuts after a CR LF that plain lines follow for long enough, carrying the colours since the last reset', () => {
    const data = 'a\r\n\x1b[1mb\x1b[0m\x1b[31mc\r\nd\r\ne\r\n';
    expect(plainCut([data], 2)).toEqual({ chunk: 0, at: data.indexOf('d'), sgr: '\x1b[0m\x1b[31m' });
    expect(plainCut(['a\r\nb\r\n'], 2)).toBeNull();
  });

  it('reads a burst across its chunks, a CR LF or a colour change split between two included', () => {
    expect(plainCut(['a\r', '\nb\r\nc\r\n'], 2)).toEqual({ chunk: 1, at: 1, sgr: '' });
    expect(plainCut(['x\x1b[3', '1m\r\ny\r\n'], 0)).toEqual({ chunk: 1, at: 7, sgr: '\x1b[31m' });
  });

  it('counts only the line feeds before anything but text and colours', () => {
    expect(plainCut(['a\r\nb\r\n\x1b[2Jc\r\nd\r\n'], 1)).toEqual({ chunk: 0, at: 3, sgr: '' });
    expect(plainCut(['a\r\nb\r\n\x1b[2Jc\r\nd\r\n'], 2)).toBeNull();
  });

  it('cuts only with enough line feeds up to the cut too, its own included', () => {
    const data = 'a\r\nb\r\nc\r\nd\r\n';
    expect(plainCut([data], 1, 3)).toEqual({ chunk: 0, at: data.indexOf('d'), sgr: '' });
    expect(plainCut(['a\r\nb\r', '\nc\r\nd\r\n'], 1, 3)).toEqual({ chunk: 1, at: 4, sgr: '' });
    expect(plainCut([data], 1, 4)).toBeNull();
  });

  it('refuses a burst that starts with anything but text and colours', () => {
    expect(plainCut(['\x1b[2Ja\r\nb\r\nc\r\n'], 1)).toBeNull();
    expect(plainCut(['\x1b[?25la\r\nb\r\nc\r\n'], 1)).toBeNull();
    expect(plainCut(['\x07a\r\nb\r\nc\r\n'], 1)).toBeNull();
  });
});

describe('a disposed Emulator', () => {
  it('settles a flush asked for before or after it was disposed, so a shutdown never hangs on it', async () => {
    const e = new Emulator(20, 5, 10);
    e.write('x'.repeat(50_000));
    const before = e.flush();
    e.dispose();
    await expect(Promise.race([before.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 2000))])).resolves.toBe('settled');
    await expect(Promise.race([e.flush().then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 2000))])).resolves.toBe('settled');
  });
});
