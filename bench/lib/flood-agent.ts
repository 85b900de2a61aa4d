import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** What every pipeline agent prints, in muster and in tmux alike (the issue's flood preset). */
export const FLOOD_LINE = 'a line of output from an agent';
export const LINES_DONE = 'DONE-LINES';
export const REDRAW_DONE = 'DONE-REDRAW';

/** Size of the colourful full-screen app's screen: it fits every pane of both 8-pane layouts at 200×50. */
export const REDRAW_COLS = 60;
export const REDRAW_ROWS = 12;

export type Phase = 'lines' | 'redraw' | 'stream';

/**
 * The agent program of the pipeline and latency benchmarks, run unchanged as a muster agent
 * preset and in a tmux pane. It waits on a FIFO before each phase (blocked in open(2), so an
 * idle agent costs nothing), then: `lines` writes BYTES of `yes` output and DONE-LINES;
 * `redraw` cats a file of colourful full-screen frames whose last frame says DONE-REDRAW;
 * `stream` writes numbered lines forever (every row of the screen changes).
 */
export function writeFloodAgent(dir: string, bytes: number): { script: string; args: string[]; shell: string } {
  const script = join(dir, 'flood-agent.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'd=$1',
      `read go < "$d/go-lines"; yes '${FLOOD_LINE}' | head -c "$2"; printf '\\n${LINES_DONE}\\n'`,
      'read go < "$d/go-redraw"; cat "$d/redraw.bin"',
      `read go < "$d/go-stream"; exec seq -f '${FLOOD_LINE} %.0f' 1 inf`,
      '',
    ].join('\n'),
  );
  for (const p of ['lines', 'redraw', 'stream'] as Phase[]) execFileSync('mkfifo', [join(dir, `go-${p}`)]);
  writeFileSync(join(dir, 'redraw.bin'), redrawFrames(bytes));
  const args = [script, dir, String(bytes)];
  return { script, args, shell: `sh ${args.map((a) => `'${a}'`).join(' ')}` };
}

/**
 * Opens phase `phase` for `agents` waiting agents: one line each down the FIFO. The write end
 * stays open until `close()` so an agent that reaches its `read` late still finds its line.
 */
export function openGate(dir: string, phase: Phase, agents: number): { close(): void } {
  // O_RDWR never blocks on a FIFO (Linux), whether or not the readers are there yet.
  const fd = openSync(join(dir, `go-${phase}`), 'r+');
  writeSync(fd, '\n'.repeat(agents));
  return { close: () => closeSync(fd) };
}

/** About `bytes` of a full-screen app redrawing a 60×12 screen in 256 colours, frame after frame. */
export function redrawFrames(bytes: number): Buffer {
  const parts: string[] = [];
  const frameSize = Buffer.byteLength(redrawFrame(0, false));
  let size = 0;
  let n = 0;
  for (; size + frameSize < bytes; n++) {
    const f = redrawFrame(n, false);
    parts.push(f);
    size += Buffer.byteLength(f);
  }
  parts.push(redrawFrame(n, true));
  return Buffer.from(parts.join(''));
}

function redrawFrame(frame: number, last: boolean): string {
  let out = '';
  for (let row = 0; row < REDRAW_ROWS; row++) {
    out += `\x1b[${row + 1};1H`;
    if (last && row === 0) {
      out += `\x1b[1;97;42m${REDRAW_DONE.padEnd(REDRAW_COLS)}\x1b[0m\x1b[K`;
      continue;
    }
    // Six cells of ten characters; foreground and background change every frame.
    for (let cell = 0; cell < 6; cell++) {
      const fg = 16 + ((frame * 7 + row * 6 + cell) % 216);
      const bg = 232 + ((frame + row + cell) % 24);
      const text = `${String(frame % 100000).padStart(6, '0')}:${row % 10}${cell}`.padEnd(10).slice(0, 10);
      out += `\x1b[38;5;${fg};48;5;${bg}${cell % 2 ? ';1' : ''}m${text}`;
    }
    out += '\x1b[0m\x1b[K';
  }
  return out;
}
