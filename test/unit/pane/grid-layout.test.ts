import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gridLayout, gridShape, type Rect } from '../../../src/pane/grid-layout.js';

const wide: Rect = { top: 1, left: 0, width: 200, height: 50 };
const narrow: Rect = { top: 0, left: 0, width: 80, height: 24 };

describe('gridShape', () => {
  it.each([
    [1, wide, 1, 1],
    [2, wide, 2, 1],
    [2, narrow, 1, 2],
    [3, wide, 2, 2],
    [4, wide, 2, 2],
    [5, wide, 3, 2],
    [6, wide, 3, 2],
    [7, wide, 3, 3],
    [9, wide, 3, 3],
    [10, wide, 4, 3],
  ])('puts %i panes on %o in %i columns and %i rows', (count, area, columns, rows) => {
    expect(gridShape(count, area)).toEqual({ columns, rows });
  });
});

describe('gridLayout', () => {
  it('gives one pane the whole area below its title row', () => {
    const layout = gridLayout(1, wide);
    expect(layout).toEqual({
      kind: 'grid',
      columns: 1,
      rows: 1,
      separators: [],
      panes: [{ title: { top: 1, left: 0, width: 200, height: 1 }, body: { top: 2, left: 0, width: 200, height: 49 }, pty: { cols: 200, rows: 49 } }],
    });
  });

  it('puts two panes side by side with a separator column between them on a wide screen', () => {
    const layout = gridLayout(2, wide);
    if (layout.kind !== 'grid') throw new Error('expected a grid');
    expect(layout.panes.map((p) => p.body)).toEqual([
      { top: 2, left: 0, width: 100, height: 49 },
      { top: 2, left: 101, width: 99, height: 49 },
    ]);
    expect(layout.separators).toEqual([{ top: 1, left: 100, width: 1, height: 50 }]);
  });

  it('stacks two panes on a narrow screen', () => {
    const layout = gridLayout(2, narrow);
    if (layout.kind !== 'grid') throw new Error('expected a grid');
    expect(layout.panes.map((p) => [p.title.top, p.pty])).toEqual([
      [0, { cols: 80, rows: 11 }],
      [12, { cols: 80, rows: 11 }],
    ]);
  });

  it('lets the panes of a short last row share its whole width', () => {
    const layout = gridLayout(3, wide);
    if (layout.kind !== 'grid') throw new Error('expected a grid');
    expect(layout.panes.map((p) => p.pty)).toEqual([
      { cols: 100, rows: 24 },
      { cols: 99, rows: 24 },
      { cols: 200, rows: 24 },
    ]);
  });

  it('reports the area it would need instead of panes smaller than the minimum', () => {
    expect(gridLayout(9, { top: 0, left: 0, width: 61, height: 30 })).toEqual({ kind: 'too-small', count: 9, needed: { width: 62, height: 15 } });
    expect(gridLayout(4, { top: 0, left: 0, width: 40, height: 10 }, { minBody: { width: 10, height: 3 }, gap: 0 }).kind).toBe('grid');
  });

  it('returns an empty grid for no panes', () => {
    expect(gridLayout(0, wide)).toEqual({ kind: 'grid', columns: 0, rows: 0, panes: [], separators: [] });
  });

  it('tiles the area exactly: panes, titles and separators never overlap and cover every cell', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 20, max: 260 }), fc.integer({ min: 5, max: 80 }), (count, width, height) => {
        const area = { top: 1, left: 2, width, height };
        const layout = gridLayout(count, area);
        if (layout.kind === 'too-small') {
          expect(width < layout.needed.width || height < layout.needed.height).toBe(true);
          return;
        }
        expect(layout.panes).toHaveLength(count);
        const covered = new Uint8Array(width * height);
        const mark = (r: Rect): void => {
          for (let y = r.top; y < r.top + r.height; y++) {
            for (let x = r.left; x < r.left + r.width; x++) covered[(y - area.top) * width + (x - area.left)]! += 1;
          }
        };
        for (const p of layout.panes) {
          expect(p.body.width).toBeGreaterThanOrEqual(20);
          expect(p.body.height).toBeGreaterThanOrEqual(4);
          expect(p.pty).toEqual({ cols: p.body.width, rows: p.body.height });
          mark(p.title);
          mark(p.body);
        }
        layout.separators.forEach(mark);
        expect(covered.every((c) => c === 1)).toBe(true);
      }),
    );
  });
});
