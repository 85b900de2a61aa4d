import { describe, expect, it } from 'vitest';
import { composeFrame, FrameWriter, wrapFrame } from '../../../src/pane/frame-writer.js';

describe('wrapFrame', () => {
  it('writes nothing at all when nothing changed', () => {
    expect(wrapFrame('')).toBe('');
  });

  it('wraps rows in a synchronized update with the cursor hidden and put back where it was', () => {
    expect(wrapFrame('\x1b[1;1Hx')).toBe('\x1b[?2026h\x1b[?25l\x1b7\x1b[1;1Hx\x1b8\x1b[?2026l');
  });

  it('leaves the cursor at a given cell, shown when asked', () => {
    expect(wrapFrame('x', { cursorAt: { row: 4, col: 9 }, cursorVisible: true })).toBe('\x1b[?2026h\x1b[?25lx\x1b[5;10H\x1b[?25h\x1b[?2026l');
  });
});

describe('composeFrame and FrameWriter', () => {
  it('joins every source into one write and skips the write when all are current', () => {
    const writes: string[] = [];
    const writer = new FrameWriter((d) => writes.push(d));
    const a = { frame: (): string => 'A' };
    const idle = { frame: (): string => '' };
    expect(writer.draw([a, 'B', idle])).toBe(true);
    expect(writer.draw([idle])).toBe(false);
    expect(writes).toEqual([composeFrame(['A', 'B'])]);
    expect(writer.frames).toBe(1);
    expect(writer.chars).toBe(writes[0]?.length);
  });
});
