import type { IBufferCell } from '@xterm/headless';
import { Emulator } from '../../../src/adapters/pty/emulator.js';

/** A real headless terminal (CommonJS-safe, Unicode 11 widths) with `input` already parsed. */
export async function terminalWith(cols: number, rows: number, input = '', scrollback = 1000): Promise<Emulator> {
  const emulator = new Emulator(cols, rows, scrollback);
  emulator.write(input);
  await emulator.flush();
  return emulator;
}

/** Writes `data` and waits until it is parsed. */
export async function feed(emulator: Emulator, data: string): Promise<void> {
  emulator.write(data);
  await emulator.flush();
}

/** Text without escape sequences, as it would appear on screen. */
export function strip(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
}

/** The row numbers (1-based) addressed by `CSI row;col H` in a frame, in order. */
export function addressedRows(frame: string): number[] {
  return [...frame.matchAll(/\x1b\[(\d+);(\d+)H/g)].map((m) => Number(m[1]));
}

/** Every attribute of a cell that renderRow is meant to carry, for cell-by-cell comparison. */
export function cellSignature(cell: IBufferCell): string {
  return [
    cell.getChars() || ' ',
    cell.getWidth(),
    cell.isFgDefault() ? 'fg-' : cell.isFgRGB() ? `fg#${cell.getFgColor()}` : `fg${cell.getFgColor()}`,
    cell.isBgDefault() ? 'bg-' : cell.isBgRGB() ? `bg#${cell.getBgColor()}` : `bg${cell.getBgColor()}`,
    cell.isBold(),
    cell.isDim(),
    cell.isItalic(),
    cell.isUnderline(),
    cell.isBlink(),
    cell.isInverse(),
    cell.isInvisible(),
    cell.isStrikethrough(),
    cell.isOverline(),
  ].join(',');
}

/** The signatures of the cells of line `y` of a terminal's active buffer. */
export function lineSignature(emulator: Emulator, y: number, cols: number): string[] {
  const buf = emulator.term.buffer.active;
  const line = buf.getLine(y);
  const cell = buf.getNullCell();
  const out: string[] = [];
  for (let x = 0; x < cols; x++) {
    const c = line?.getCell(x, cell);
    out.push(c === undefined ? 'none' : cellSignature(c));
  }
  return out;
}
