/**
 * How a burst of output (its chunks, in order) can be parsed from near its end and show the
 * same screen. It starts with a run of nothing but printable text, tabs, backspaces, carriage
 * returns, line feeds and colour changes (SGR); the cut (`at` in chunk `chunk`) follows a CR LF
 * inside that run, with at least `after` more line feeds after it in the run and at least
 * `before` up to it (its own included). `sgr` is the colour changes before the cut, in order
 * since their last reset: they are still in force after it. How many line feeds make the
 * screen come out the same, and how the emulator is set up in place of what it skips, is
 * `cutLineFeeds`.
 *
 * Anything else before the cut (a cursor move, a mode, a scroll region, a query) could leave a
 * mark the end does not overwrite: there is no cut then (`null`) and everything is emulated.
 * A flooding agent's lines (a build log, `yes`, a test run) are the case this is for.
 */
export function plainCut(chunks: readonly string[], after: number, before = 1): { chunk: number; at: number; sgr: string } | null {
  // The plain run, found with the regex engine (a character loop cost 27 ms a MB): it ends at
  // (endChunk, endAt). A colour change may be split between two chunks.
  let endChunk = chunks.length;
  let endAt = 0;
  const sgrs: { chunk: number; at: number; seq: string; reset: boolean }[] = [];
  let from = 0;
  outer: for (let c = 0; c < chunks.length; c++) {
    const s = chunks[c]!;
    NOT_PLAIN.lastIndex = from;
    from = 0;
    for (let m = NOT_PLAIN.exec(s); m; m = NOT_PLAIN.exec(s)) {
      const split = c + 1 < chunks.length && s.length - m.index < MAX_SGR;
      const text = split ? s.slice(m.index) + chunks[c + 1]!.slice(0, MAX_SGR) : s;
      SGR.lastIndex = split ? 0 : m.index;
      const sgr = SGR.exec(text);
      if (!sgr) {
        endChunk = c;
        endAt = m.index;
        break outer;
      }
      sgrs.push({ chunk: c, at: m.index, seq: sgr[0], reset: sgr[1] === '' || sgr[1] === '0' });
      const end = m.index + sgr[0].length;
      if (end >= s.length) {
        from = end - s.length;
        break;
      }
      NOT_PLAIN.lastIndex = end;
    }
  }
  // Back from its end: the latest line feed after a carriage return with `after` after it.
  let seen = 0;
  for (let c = Math.min(endChunk, chunks.length - 1); c >= 0; c--) {
    const s = chunks[c]!;
    let i = s.lastIndexOf('\n', (c === endChunk ? endAt : s.length) - 1);
    for (; i >= 0; i = i > 0 ? s.lastIndexOf('\n', i - 1) : -1) {
      const prev = i > 0 ? s.charCodeAt(i - 1) : c > 0 ? chunks[c - 1]!.charCodeAt(chunks[c - 1]!.length - 1) : -1;
      if (seen >= after && prev === CR) {
        // Later cuts have fewer line feeds after them, earlier ones fewer before.
        if (!lineFeedsUpTo(chunks, c, i, before)) return null;
        const at = i + 1;
        const kept = sgrs.filter((x) => x.chunk < c || (x.chunk === c && x.at < at));
        // A reset forgets what came before it; it is kept to reset what was set before the burst.
        const lastReset = kept.findLastIndex((x) => x.reset);
        return {
          chunk: c,
          at,
          sgr: kept
            .slice(Math.max(0, lastReset))
            .map((x) => x.seq)
            .join(''),
        };
      }
      seen++;
    }
  }
  return null;
}

/** Whether there are `count` line feeds up to chunk `c`'s character `i`, it included. */
function lineFeedsUpTo(chunks: readonly string[], c: number, i: number, count: number): boolean {
  let n = 0;
  for (; c >= 0; c--, i = c >= 0 ? chunks[c]!.length - 1 : -1) {
    const s = chunks[c]!;
    for (let k = s.lastIndexOf('\n', i); k >= 0; k = k > 0 ? s.lastIndexOf('\n', k - 1) : -1) if (++n >= count) return true;
  }
  return false;
}

/**
 * The line feeds a cut needs (`plainCut`'s `after` and `before`) on a screen of `rows` rows for
 * the screen, and the last `history` rows of the history, to come out exact when the emulator
 * is given, instead of the output up to the cut, the colours in force at the cut, the cursor
 * to the start of the bottom row and a CR LF, then the output from the cut on.
 *
 * Plain text moves the cursor right (printing, tabs), left (backspaces), to the first column
 * (CR) and down (LF, and printing past the last column), and scrolls the screen up when it goes
 * down from the bottom row; never up (reverse wraparound, which lets a backspace go up, is off:
 * see `Emulator`). A row scrolled in is blank, in the colours in force.
 *
 * Parsing every byte, the cursor (on row `cursorY` before the burst, the top one 0) reaches the
 * bottom row and scrolls by the cut: it takes `rows - 1 - cursorY` line feeds to get there and
 * one more to scroll, the cut's own included. So at the cut it is at the start of a blank new
 * bottom row in the colours then in force, as the emulator's is after the CR LF; only the rows
 * above differ (what was skipped, what was there before). From there both see the same text
 * from the same place, on the bottom row: each line feed moves both screens up a row, so after
 * `rows - 1` of them every row on the screen is the same, and each one more adds a row of the
 * output from the cut to both histories. A line longer than the screen is wide wraps, which
 * scrolls too: it only brings that sooner. (With fewer line feeds before the cut, the cursor
 * could reach a row still holding older text and print over only part of it.)
 */
export function cutLineFeeds(rows: number, history: number, cursorY: number): { after: number; before: number } {
  return { after: rows - 1 + history, before: rows - cursorY };
}

const CR = 0x0d;
/** Anything but printable text, tabs, backspaces, CR and LF. */
const NOT_PLAIN = /[^\x20-\x7e\u00a0-\uffff\r\n\t\b]/g;
const SGR = /\x1b\[([0-9;:]*)m/y;
/** Longer colour changes than this are not looked for across a chunk's end. */
const MAX_SGR = 64;
