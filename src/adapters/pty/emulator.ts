import { createRequire } from 'node:module';
import type { IMarker, Terminal as TerminalType } from '@xterm/headless';
import type { SerializeAddon as SerializeAddonType } from '@xterm/addon-serialize';
import type { Unicode11Addon as Unicode11AddonType } from '@xterm/addon-unicode11';
import { cutLineFeeds, plainCut } from './plain-run.js';

// These packages are CommonJS: a named ESM import passes under vitest but crashes under node.
const require = createRequire(import.meta.url);
const { Terminal } = require('@xterm/headless') as { Terminal: typeof TerminalType };
const { SerializeAddon } = require('@xterm/addon-serialize') as { SerializeAddon: typeof SerializeAddonType };
const { Unicode11Addon } = require('@xterm/addon-unicode11') as { Unicode11Addon: typeof Unicode11AddonType };

export type HeadlessTerminal = TerminalType;

/** How often, at most, a stream of output is handed to the parser: what arrives meanwhile is parsed together. */
const BATCH_MS = 16;
/**
 * The same during a flood (the last batch was skipped to its end): a frame goes out at most
 * every 33 ms anyway, and each batch parses its last screens whatever its size, so half as many
 * batches parse half as much.
 */
const FLOOD_BATCH_MS = 33;
/**
 * Lines of history exact after a flood's end (see `cutLineFeeds`); the scrollback view reads
 * what is older from the log. A view taller than the pane (an attach) pulls
 * history rows down into the screen when it resizes the terminal, and they must be the flood's.
 */
const HISTORY_KEPT = 100;

// The parser's state and the scroll region are not in xterm's public API: read the core's,
// and skip nothing when they are not there.
interface CoreProbe {
  _core?: { _inputHandler?: { _parser?: { currentState?: unknown } }; buffer?: { scrollTop?: unknown; scrollBottom?: unknown } };
}

/**
 * A headless terminal emulator that renders an agent's output as a screen would. Output that
 * arrives faster than every 16 ms is gathered and parsed together, and of a flood of plain
 * lines only the end that can still be on the screen is parsed: the screen comes out the same,
 * cell for cell, and the history the emulator does not have is read back from the terminal log
 * (see `termHistory`). Parsing a flood line by line into 10,000 lines of history was 60% of
 * the supervisor's CPU.
 */
export class Emulator {
  readonly term: TerminalType;
  private readonly serializer: SerializeAddonType;
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Writes handed to xterm and not parsed yet: its state is only known when there are none. */
  private parsing = 0;
  private lastPushAt = 0;
  /** Whether the last batch was a flood parsed from its end: the next waits longer. */
  private flooding = false;
  /** Told once what was written before they asked has been parsed. */
  private readonly waiting: (() => void)[] = [];
  private disposed = false;
  /** The last row of history before the last skipped flood: the rows up to it came before it. */
  private freshFrom: IMarker | null = null;
  /** Characters of output parsed and skipped, floods cut, those from a cursor on the bottom row: for tests and notes. */
  readonly stats = { parsed: 0, skipped: 0, cuts: 0, fromBottom: 0 };

  constructor(cols: number, rows: number, scrollback: number) {
    this.term = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.term.loadAddon(this.serializer as never);
    // Without unicode 11 widths, emoji take a different number of cells than Ink assumes.
    this.term.loadAddon(new Unicode11Addon() as never);
    this.term.unicode.activeVersion = '11';
  }

  /** Output to emulate; `done` is called once it has been parsed. */
  write(data: string, done?: () => void): void {
    // Nothing is parsed any more: whoever waits for it must not wait for ever.
    if (this.disposed) return done?.();
    if (data) this.pending.push(data);
    if (!done) return this.schedule();
    // After the write being parsed, so that what is pending is looked at with xterm's state known.
    if (this.parsing) this.waiting.push(done);
    else {
      this.push();
      this.term.write('', done);
    }
  }

  /**
   * The first row of the normal buffer's history that the screen follows on from without a
   * gap: the rows above it were there before a flood whose lines were skipped.
   */
  historyStart(): number {
    const m = this.freshFrom;
    return m && !m.isDisposed ? Math.max(0, m.line + 1) : 0;
  }

  /** Resolves once everything written so far has been parsed. */
  flush(): Promise<void> {
    return new Promise((resolve) => this.write('', resolve));
  }

  resize(cols: number, rows: number): void {
    if (cols === this.term.cols && rows === this.term.rows) return;
    // What came before the resize is parsed at the size it was written for.
    this.push();
    this.term.resize(cols, rows);
  }

  private schedule(): void {
    if (this.timer || !this.pending.length) return;
    const batch = this.flooding ? FLOOD_BATCH_MS : BATCH_MS;
    const wait = this.parsing ? batch : Math.max(0, batch - (Date.now() - this.lastPushAt));
    // After a quiet spell (a keystroke's echo) the output is parsed at once.
    if (wait === 0) return this.push();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.parsing) this.schedule();
      else this.push();
    }, wait);
  }

  /** Hands what is pending to the parser, skipping what a plain flood's end overwrites. */
  private push(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length || this.disposed) return;
    const chunks = this.pending;
    this.pending = [];
    this.lastPushAt = Date.now();
    let data: string | null = null;
    this.flooding = false;
    if (!this.parsing && this.plainState()) {
      const rows = this.term.rows;
      const kept = Math.min(HISTORY_KEPT, this.term.options.scrollback ?? 0);
      const cursorY = this.term.buffer.normal.cursorY;
      const need = cutLineFeeds(rows, kept, cursorY);
      const cut = plainCut(chunks, need.after, need.before);
      if (cut) {
        this.flooding = true;
        this.stats.cuts++;
        if (cursorY === rows - 1) this.stats.fromBottom++;
        for (let c = 0; c < cut.chunk; c++) this.stats.skipped += chunks[c]!.length;
        this.stats.skipped += cut.at;
        // The bottom row goes up into the history with the rows above it, and the output from
        // the cut follows it there, not what was skipped: the history after it is exact.
        this.freshFrom?.dispose();
        this.freshFrom = this.term.registerMarker(rows - 1 - cursorY) ?? null;
        // Where the skipped output left the cursor, in the colours it left: see `cutLineFeeds`.
        data = `${cut.sgr}\x1b[${rows};1H\r\n${chunks[cut.chunk]!.slice(cut.at)}${chunks.slice(cut.chunk + 1).join('')}`;
      }
    }
    for (const c of chunks) this.stats.parsed += c.length;
    data ??= chunks.length === 1 ? chunks[0]! : chunks.join('');
    this.parsing++;
    this.term.write(data, () => this.parsed());
  }

  /** One of our writes is parsed: once none is left, whoever waits for it is told, after what came meanwhile. */
  private parsed(): void {
    this.parsing--;
    if (this.parsing || !this.waiting.length) return this.schedule();
    const waiting = this.waiting.splice(0);
    this.push();
    for (const done of waiting) this.term.write('', done);
  }

  /**
   * The normal screen with its history full (so its rows' numbering moves as it would have:
   * a saved cursor is kept by row number), whole-screen scrolling, no origin or insert mode,
   * and the parser between sequences.
   */
  private plainState(): boolean {
    const core = (this.term as unknown as CoreProbe)._core;
    const parser = core?._inputHandler?._parser?.currentState;
    const buf = core?.buffer;
    const normal = this.term.buffer.normal;
    return (
      this.term.buffer.active === normal &&
      normal.baseY >= (this.term.options.scrollback ?? 0) &&
      !this.term.modes.originMode &&
      !this.term.modes.insertMode &&
      // A backspace would go up a row into a wrapped line: not the plain text the cut assumes.
      !this.term.modes.reverseWraparoundMode &&
      parser === 0 &&
      buf?.scrollTop === 0 &&
      buf.scrollBottom === this.term.rows - 1
    );
  }

  /** The screen (and modes) as escape sequences that repaint it on a real terminal. */
  serialize(scrollback = 0): string {
    return this.serializer.serialize({ scrollback });
  }

  /** The visible screen as plain text lines, for heuristics and tests. */
  screenLines(): string[] {
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) out.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
    return out;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending = [];
    const waiting = this.waiting.splice(0);
    this.freshFrom?.dispose();
    this.term.dispose();
    for (const done of waiting) done();
  }
}

/**
 * The escape sequences that repaint what `raw` output leaves on a `cols`×`rows` terminal, with
 * up to `scrollback` lines of its history: how a new emulator takes over the last screen of an
 * agent that ran before the supervisor restarted. The replay runs in a throwaway emulator, so
 * the queries in the old output (cursor position, device attributes) are answered to nobody.
 */
export async function replayScreen(raw: string, cols: number, rows: number, scrollback: number): Promise<string> {
  const e = new Emulator(cols, rows, scrollback);
  try {
    e.write(raw);
    await e.flush();
    return e.serialize(scrollback);
  } finally {
    e.dispose();
  }
}
