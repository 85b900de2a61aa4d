import { describe, expect, it } from 'vitest';
import { FALLBACK_SIZE, TerminalSizes } from '../../../src/supervisor/terminal-sizes.js';

const a = { name: 'cockpit A' };
const b = { name: 'cockpit B' };

describe('TerminalSizes', () => {
  it('gives the size of the latest view of the same kind', () => {
    const sizes = new TerminalSizes();
    expect(sizes.claim(1, a, 'pane', { cols: 60, rows: 20 })).toEqual({ cols: 60, rows: 20 });
    expect(sizes.claim(1, b, 'pane', { cols: 40, rows: 10 })).toEqual({ cols: 40, rows: 10 });
    // A relayout of A's grid makes it the latest again.
    expect(sizes.claim(1, a, 'pane', { cols: 70, rows: 20 })).toEqual({ cols: 70, rows: 20 });
  });

  it('lets a full-screen attach win over any pane, however recent, and falls back when it detaches', () => {
    const sizes = new TerminalSizes();
    sizes.claim(1, a, 'attach', { cols: 200, rows: 49 });
    expect(sizes.claim(1, b, 'pane', { cols: 40, rows: 10 })).toEqual({ cols: 200, rows: 49 });
    expect(sizes.claim(1, b, 'attach', { cols: 80, rows: 23 })).toEqual({ cols: 80, rows: 23 });
    expect(sizes.release(1, b, 'attach')).toEqual({ cols: 200, rows: 49 });
    expect(sizes.release(1, a)).toEqual({ cols: 40, rows: 10 });
    expect(sizes.release(1, b)).toBeNull();
  });

  it('keeps the sizes of different agents apart', () => {
    const sizes = new TerminalSizes();
    sizes.claim(1, a, 'attach', { cols: 100, rows: 30 });
    sizes.claim(2, a, 'pane', { cols: 50, rows: 12 });
    expect(sizes.size(1)).toEqual({ cols: 100, rows: 30 });
    expect(sizes.size(2)).toEqual({ cols: 50, rows: 12 });
    expect(sizes.size(3)).toBeNull();
  });

  it('starts a new agent at the configured size, else at the size the last view asked for, else the fallback', () => {
    const sizes = new TerminalSizes();
    expect(sizes.startSize({})).toEqual(FALLBACK_SIZE);
    sizes.claim(1, a, 'pane', { cols: 90, rows: 20 });
    sizes.release(1, a);
    expect(sizes.startSize({})).toEqual({ cols: 90, rows: 20 });
    expect(sizes.startSize({ cols: 70, rows: 15 })).toEqual({ cols: 70, rows: 15 });
    expect(sizes.startSize({ cols: 70 })).toEqual({ cols: 70, rows: 20 });
  });
});
