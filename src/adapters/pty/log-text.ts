import { createRequire } from 'node:module';
import type { IBuffer, Terminal as TerminalType } from '@xterm/headless';
import type { SerializeAddon as SerializeAddonType } from '@xterm/addon-serialize';
import type { Unicode11Addon as Unicode11AddonType } from '@xterm/addon-unicode11';

// CommonJS packages: a named ESM import passes under vitest but crashes under node.
const require = createRequire(import.meta.url);
const { Terminal } = require('@xterm/headless') as { Terminal: typeof TerminalType };
const { SerializeAddon } = require('@xterm/addon-serialize') as { SerializeAddon: typeof SerializeAddonType };
const { Unicode11Addon } = require('@xterm/addon-unicode11') as { Unicode11Addon: typeof Unicode11AddonType };

/** Lines of history the renderer keeps before it compacts; no piece it parses may add more. */
const SCROLLBACK = 20_000;
/** A piece of output parsed at once: at most this many characters, so at most this many rows. */
const PIECE = 8_192;
const ROWS = 50;

/**
 * A terminal's output as the text a person read: it runs through a headless terminal emulator
 * (never a hand-written escape-sequence filter), and every line that scrolls off its screen is
 * given out once, its wrapped rows joined, as plain text. What a full-screen program drew on the
 * alternate screen never scrolls, so, as in tmux's history, it is not there; `finish` gives the
 * last screen.
 */
export class LineRenderer {
  private readonly term: TerminalType;
  private readonly serializer: SerializeAddonType;
  /** Rows of the buffer already given out (or held in `partial`). */
  private taken = 0;
  /** The last line given out may continue on the next row (a wrapped line): held back. */
  private partial: string | null = null;

  constructor(readonly cols: number) {
    this.term = new Terminal({ cols, rows: ROWS, scrollback: SCROLLBACK, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.term.loadAddon(this.serializer as never);
    this.term.loadAddon(new Unicode11Addon() as never);
    this.term.unicode.activeVersion = '11';
  }

  /** Parses `data` and returns the lines it pushed off the screen. */
  async write(data: string): Promise<string[]> {
    const out: string[] = [];
    for (let at = 0; at < data.length; at += PIECE) {
      await new Promise<void>((r) => this.term.write(data.slice(at, at + PIECE), r));
      out.push(...this.collect());
    }
    return out;
  }

  /**
   * The lines left: the one held back and the screen (the alternate one if a program still has
   * it up), without the blank rows under it.
   */
  finish(): string[] {
    const normal = this.term.buffer.normal;
    const active = this.term.buffer.active;
    const lines = this.take(normal, normal.baseY + this.term.rows);
    if (this.partial !== null) lines.push(this.partial.trimEnd());
    this.partial = null;
    const trim = () => {
      while (lines.length && lines.at(-1) === '') lines.pop();
    };
    trim();
    if (active !== normal) for (let y = 0; y < this.term.rows; y++) lines.push(active.getLine(y)?.translateToString(true).trimEnd() ?? '');
    trim();
    return lines;
  }

  dispose(): void {
    this.term.dispose();
  }

  private collect(): string[] {
    const buf = this.term.buffer.normal;
    const lines = this.take(buf, buf.baseY);
    // Half the history is given out: start again from the screen as it is, so the buffer never
    // fills and trims rows that were not given out yet.
    if (buf.baseY > SCROLLBACK / 2) {
      const screen = this.serializer.serialize({ scrollback: 0 });
      this.term.reset();
      this.term.write(screen);
      this.taken = 0;
    }
    return lines;
  }

  /** Rows [taken, end) of the normal buffer as lines, wrapped rows joined; the last is held back. */
  private take(buf: IBuffer, end: number): string[] {
    const out: string[] = [];
    for (; this.taken < end; this.taken++) {
      const line = buf.getLine(this.taken);
      // Whole rows: a wrapped line may break right after a space, which must stay.
      const text = line?.translateToString(false) ?? '';
      if (line?.isWrapped && this.partial !== null) this.partial += text;
      else {
        if (this.partial !== null) out.push(this.partial.trimEnd());
        this.partial = text;
      }
    }
    return out;
  }
}
