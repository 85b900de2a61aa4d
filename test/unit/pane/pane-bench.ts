// Micro-benchmark of the pane layer, run by hand: `npx tsx test/unit/pane/pane-bench.ts`.
// It prints costs beside a baseline measured in the same run; tests never assert on time.
import { Emulator } from '../../../src/adapters/pty/emulator.js';
import { PaneRenderer } from '../../../src/pane/pane-renderer.js';
import { renderRow } from '../../../src/pane/row-render.js';
import { gridLayout } from '../../../src/pane/grid-layout.js';

const COLS = 200;
const ROWS = 50;

/** Deterministic output shaped like an agent's: words, some SGR changes, an RGB colour now and then. */
function busyLines(cols: number, count: number, seed: number, styled: boolean): string {
  let r = seed;
  const rnd = (): number => (r = (r * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const words = ['const', 'value', '=', 'await', 'render(row);', '// why', 'import', '{', '}', '中文'];
  let out = '';
  for (let y = 0; y < count; y++) {
    let width = 0;
    while (width < cols - 14) {
      if (styled && rnd() < 0.2) out += `\x1b[${[31, 32, 33, 34, 35, 36, 1, 2, 3, 4, 7, 0][Math.floor(rnd() * 12)]}m`;
      if (styled && rnd() < 0.04) out += `\x1b[38;2;${Math.floor(rnd() * 255)};120;200m`;
      const word = words[Math.floor(rnd() * words.length)] ?? 'x';
      out += `${word} `;
      width += word.length + 1 + (word === '中文' ? 2 : 0);
    }
    out += '\x1b[0m\r\n';
  }
  return out;
}

async function emulator(cols: number, rows: number, input: string): Promise<Emulator> {
  const e = new Emulator(cols, rows, 10_000);
  e.write(input);
  await e.flush();
  return e;
}

/** Mean µs per call of `fn` over `n` calls, after a warm-up. */
function time(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(200, n); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

/** Mean µs of `fn` over `n` rounds, each preceded by an untimed `prepare`. */
async function timeEach(n: number, prepare: () => Promise<void>, fn: () => void): Promise<number> {
  let total = 0n;
  for (let i = 0; i < n; i++) {
    await prepare();
    const t0 = process.hrtime.bigint();
    fn();
    total += process.hrtime.bigint() - t0;
  }
  return Number(total) / 1000 / n;
}

const f = (us: number): string => `${us.toFixed(1).padStart(7)} µs`;
let sink = 0;

for (const styled of [false, true]) {
  const e = await emulator(COLS, ROWS, busyLines(COLS, ROWS * 2, 7, styled));
  const buf = e.term.buffer.active;
  const cell = buf.getNullCell();
  const opts = { color: true, cell };
  const rowUs =
    time(20_000, () => {
      for (let y = 0; y < ROWS; y++) sink += renderRow(buf.getLine(buf.baseY + y), COLS, opts).length;
    }) / ROWS;
  const baseUs =
    time(20_000, () => {
      for (let y = 0; y < ROWS; y++) sink += (buf.getLine(buf.baseY + y)?.translateToString(false) ?? '').length;
    }) / ROWS;
  console.log(
    `renderRow ${COLS} cols, ${styled ? 'styled' : 'plain '}: ${f(rowUs)} per row; translateToString (baseline) ${f(baseUs)}; ratio ${(rowUs / baseUs).toFixed(2)}`,
  );
}

{
  const e = await emulator(COLS, ROWS, busyLines(COLS, ROWS * 2, 11, true));
  const pane = new PaneRenderer(e.term, { top: 0, left: 0, width: COLS, height: ROWS });
  const full = time(2_000, () => {
    pane.invalidate();
    sink += pane.frame().length;
  });
  const serialize = time(200, () => {
    sink += e.serialize().length;
  });
  const idle = time(100_000, () => {
    sink += pane.frame().length;
  });
  let n = 0;
  const spinner = await timeEach(
    500,
    () => feedAsync(e, `\x1b[${ROWS};1H\x1b[33m${'⠋⠙⠹⠸'[n++ % 4]} working ${n}\x1b[0m`),
    () => {
      sink += pane.frame().length;
    },
  );
  const oneRow = time(20_000, () => {
    sink += renderRow(e.term.buffer.active.getLine(e.term.buffer.active.baseY + ROWS - 1), COLS, { color: true }).length;
  });
  let seed = 100;
  const scrolled = await timeEach(
    300,
    () => feedAsync(e, busyLines(COLS, 5, seed++, true)),
    () => {
      sink += pane.frame().length;
    },
  );
  console.log(
    `frame ${COLS}×${ROWS}, full redraw:            ${f(full)}   (serialize addon of the same screen, baseline: ${f(serialize)}; ratio ${(full / serialize).toFixed(2)})`,
  );
  console.log(`frame ${COLS}×${ROWS}, nothing parsed:         ${f(idle)}`);
  console.log(`frame ${COLS}×${ROWS}, one row changed:        ${f(spinner)}   (rendering that one row alone: ${f(oneRow)})`);
  console.log(`frame ${COLS}×${ROWS}, after 5 lines scrolled: ${f(scrolled)}`);
}

{
  // Eight agents in a 3×3 grid of one 200×50 screen, each having printed a few lines per frame.
  const layout = gridLayout(8, { top: 0, left: 0, width: COLS, height: ROWS });
  if (layout.kind !== 'grid') throw new Error('layout too small');
  const panes = await Promise.all(
    layout.panes.map(async (slot, i) => {
      const e = await emulator(slot.pty.cols, slot.pty.rows, busyLines(slot.pty.cols, slot.pty.rows, i, true));
      const pane = new PaneRenderer(e.term, slot.body);
      pane.frame();
      return { e, pane, cols: slot.pty.cols };
    }),
  );
  let seed = 1;
  const grid = await timeEach(
    300,
    async () => {
      for (const p of panes) await feedAsync(p.e, busyLines(p.cols, 3, seed++, true));
    },
    () => {
      for (const p of panes) sink += p.pane.frame().length;
    },
  );
  console.log(`8 panes (3×3 grid of ${COLS}×${ROWS}), all streaming: ${f(grid)} per frame = ${((grid * 30) / 10_000).toFixed(2)}% of a core at 30 fps`);
}

function feedAsync(e: Emulator, data: string): Promise<void> {
  e.write(data);
  return e.flush();
}

if (sink === 42) console.log('');
