import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaneRenderer } from '../../../src/pane/pane-renderer.js';
import type { Emulator } from '../../../src/adapters/pty/emulator.js';
import { addressedRows, feed, lineSignature, strip, terminalWith } from './terminal.js';

const rect = { top: 2, left: 5, width: 10, height: 4 };

function lines(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `line ${from + i}`).join('\r\n');
}

/** The text of each row a frame writes, keyed by screen row (1-based). */
function rowsOf(frame: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const part of frame.split(/(?=\x1b\[\d+;\d+H)/)) {
    const m = /^\x1b\[(\d+);\d+H(.*)$/s.exec(part);
    if (m) out.set(Number(m[1]), strip(m[2] ?? ''));
  }
  return out;
}

describe('PaneRenderer', () => {
  it('draws every row of its rectangle on the first frame, at the rectangle', async () => {
    const e = await terminalWith(10, 4, 'hello\r\nworld');
    const pane = new PaneRenderer(e.term, rect);
    const frame = pane.frame();
    expect(addressedRows(frame)).toEqual([3, 4, 5, 6]);
    expect(frame).toContain('\x1b[3;6Hhello     ');
    expect(frame).toContain('\x1b[4;6Hworld     ');
  });

  it('returns nothing when the terminal parsed nothing since the last frame', async () => {
    const e = await terminalWith(10, 4, 'hello');
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    expect(pane.pending).toBe(false);
    expect(pane.frame()).toBe('');
    await feed(e, 'x');
    expect(pane.pending).toBe(true);
  });

  it('returns nothing when a write left every row as it was', async () => {
    const e = await terminalWith(10, 4, 'hello');
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    await feed(e, '\x1b[1;1Hhello');
    expect(pane.frame()).toBe('');
  });

  it('redraws exactly the row a write changed', async () => {
    const e = await terminalWith(10, 4, lines(4));
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    await feed(e, '\x1b[3;1Hchanged');
    const frame = pane.frame();
    expect(addressedRows(frame)).toEqual([5]);
    expect(rowsOf(frame).get(5)).toBe('changed   ');
  });

  it('redraws every row after invalidate', async () => {
    const e = await terminalWith(10, 4, lines(4));
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    pane.invalidate();
    expect(addressedRows(pane.frame())).toEqual([3, 4, 5, 6]);
  });

  it('redraws every row without colour when colour is turned off', async () => {
    const e = await terminalWith(10, 4, '\x1b[31mred\x1b[0m');
    const pane = new PaneRenderer(e.term, rect);
    expect(pane.frame()).toContain('\x1b[31m');
    pane.setColor(false);
    const frame = pane.frame();
    expect(addressedRows(frame)).toEqual([3, 4, 5, 6]);
    expect(frame).not.toContain('\x1b[31m');
  });

  it('redraws everything at the new place when the rectangle moves, and nothing when it does not', async () => {
    const e = await terminalWith(10, 4, lines(4));
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    pane.setRect({ ...rect });
    expect(pane.frame()).toBe('');
    pane.setRect({ ...rect, top: 0, left: 0 });
    const frame = pane.frame();
    expect(addressedRows(frame)).toEqual([1, 2, 3, 4]);
    expect(frame.startsWith('\x1b[1;1H')).toBe(true);
  });

  it('shows history at a scroll offset and keeps those lines in view while output continues', async () => {
    const e = await terminalWith(10, 4, lines(20));
    const pane = new PaneRenderer(e.term, rect);
    expect([...rowsOf(pane.frame()).values()].map((s) => s.trim())).toEqual(['line 17', 'line 18', 'line 19', 'line 20']);
    pane.setScrollOffset(5);
    expect([...rowsOf(pane.frame()).values()].map((s) => s.trim())).toEqual(['line 12', 'line 13', 'line 14', 'line 15']);
    await feed(e, `\r\n${lines(3, 21)}`);
    expect(pane.frame()).toBe('');
    expect(pane.scrollOffset).toBe(8);
    pane.setScrollOffset(0);
    expect([...rowsOf(pane.frame()).values()].map((s) => s.trim())).toEqual(['line 20', 'line 21', 'line 22', 'line 23']);
  });

  it('clamps the scroll offset to the history there is', async () => {
    const e = await terminalWith(10, 4, lines(6));
    const pane = new PaneRenderer(e.term, rect);
    pane.scrollBy(100);
    expect(pane.scrollOffset).toBe(2);
    expect(rowsOf(pane.frame()).get(3)?.trim()).toBe('line 1');
    pane.scrollBy(-100);
    expect(pane.scrollOffset).toBe(0);
  });

  it('follows a resize of the terminal, redrawing only the rows that changed', async () => {
    const e = await terminalWith(10, 4, 'short\r\nabcdefghij');
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    e.resize(6, 4);
    await e.flush();
    const frame = pane.frame();
    expect(frame).not.toBe('');
    expect(addressedRows(frame)).not.toContain(3);
  });

  it('shows the bottom of a screen taller than the pane and blanks below a shorter one', async () => {
    const tall = await terminalWith(10, 6, lines(6));
    expect([...rowsOf(new PaneRenderer(tall.term, rect).frame()).values()].map((s) => s.trim())).toEqual(['line 3', 'line 4', 'line 5', 'line 6']);
    const short = await terminalWith(10, 2, 'a\r\nb');
    expect([...rowsOf(new PaneRenderer(short.term, rect).frame()).values()]).toEqual(['a'.padEnd(10), 'b'.padEnd(10), ' '.repeat(10), ' '.repeat(10)]);
  });

  // The alternate buffer is a ring exactly as tall as the terminal: reading past its end once
  // showed its first rows again below it (two cockpits, the bigger one's pane).
  it('blanks below an alternate screen shorter than the pane instead of repeating its top rows', async () => {
    const full = await terminalWith(10, 2, '\x1b[?1049hfirst\r\nsecond');
    expect([...rowsOf(new PaneRenderer(full.term, rect).frame()).values()]).toEqual(['first'.padEnd(10), 'second'.padEnd(10), ' '.repeat(10), ' '.repeat(10)]);
  });

  it('draws the cursor when asked, follows it, and respects an application that hides it', async () => {
    const e = await terminalWith(10, 4, 'ab');
    const pane = new PaneRenderer(e.term, rect, { showCursor: true });
    expect(pane.frame()).toContain('\x1b[3;6Hab\x1b[7m \x1b[0m       ');
    await feed(e, '\r\n');
    expect(addressedRows(pane.frame())).toEqual([3, 4]);
    await feed(e, '\x1b[?25l');
    expect(pane.frame()).not.toContain('\x1b[7m');
    pane.setShowCursor(false);
    await feed(e, '\x1b[?25h');
    expect(pane.frame()).toBe('');
  });

  it('holds frames during a synchronized update of the source, up to a limit', async () => {
    const e = await terminalWith(10, 4, 'a');
    const pane = new PaneRenderer(e.term, rect, { maxSyncHold: 2 });
    pane.frame();
    await feed(e, '\x1b[?2026hhalf');
    expect(pane.frame()).toBe('');
    await feed(e, ' done\x1b[?2026l');
    expect(rowsOf(pane.frame()).get(3)).toBe('ahalf done');
    await feed(e, '\x1b[?2026h\rnever ends');
    expect(pane.frame()).toBe('');
    expect(pane.frame()).toBe('');
    expect(rowsOf(pane.frame()).get(3)).toBe('never ends');
  });

  it('stops listening when disposed', async () => {
    const e = await terminalWith(10, 4, 'a');
    const pane = new PaneRenderer(e.term, rect);
    pane.frame();
    pane.dispose();
    await feed(e, 'b');
    expect(pane.frame()).toBe('');
  });

  it('keeps a screen that replays its frames identical to the source, whatever is written', async () => {
    const chunk = fc.oneof(
      fc.constantFrom(
        '\r\n',
        '\x1b[H',
        '\x1b[2J',
        '\x1b[K',
        '\x1b[1;31m',
        '\x1b[0m',
        '\x1b[44m',
        '\x1b[7m',
        '\x1b[?1049h',
        '\x1b[?1049l',
        '\x1b[2;3H',
        '中',
        '😀',
      ),
      fc.stringMatching(/^[a-z ]{1,14}$/),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(chunk, { maxLength: 8 }), { minLength: 1, maxLength: 6 }), async (writes) => {
        const source = await terminalWith(12, 5, '', 50);
        const screen = await terminalWith(30, 10, '', 0);
        const at = { top: 3, left: 7, width: 12, height: 5 };
        const pane = new PaneRenderer(source.term, at);
        for (const w of writes) {
          await feed(source, w.join(''));
          await feed(screen, pane.frame());
        }
        expectRegion(screen, source, at);
      }),
      { numRuns: 60 },
    );
  });
});

function expectRegion(screen: Emulator, source: Emulator, at: { top: number; left: number; width: number; height: number }): void {
  const buf = source.term.buffer.active;
  for (let r = 0; r < at.height; r++) {
    const want = lineSignature(source, buf.baseY + r, at.width);
    const got = lineSignature(screen, r + at.top, at.left + at.width).slice(at.left);
    expect(got).toEqual(want);
  }
}
