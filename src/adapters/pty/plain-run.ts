/**
 * How a burst of output (its chunks, in order) can be parsed from near its end and show the
 * same screen. It starts with a run of nothing but printable text, tabs, backspaces, carriage
 * returns, line feeds and colour changes (SGR); the cut (`at` in chunk `chunk`) follows a CR LF
 * inside that run, and the run goes on for `lineFeeds` more line feeds after it. Emulating from the cut on a blank
 * screen with the cursor home, those line feeds scroll every row of the screen in afresh, so
 * from there on the screen and everything after are the same as if every byte had been
 * parsed; only the history misses the skipped lines. `sgr` is the colour changes before the
 * cut, in order since their last reset: they are still in force after it.
 *
 * Anything else before the cut (a cursor move, a mode, a scroll region, a query) could leave a
 * mark the end does not overwrite: there is no cut then (`null`) and everything is emulated.
 * A flooding agent's lines (a build log, `yes`, a test run) are the case this is for.
 */
export function plainCut(chunks: readonly string[], lineFeeds: number): { chunk: number; at: number; sgr: string } | null {
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
  // Back from its end: the latest line feed after a carriage return with `lineFeeds` after it.
  let seen = 0;
  for (let c = Math.min(endChunk, chunks.length - 1); c >= 0; c--) {
    const s = chunks[c]!;
    let i = s.lastIndexOf('\n', (c === endChunk ? endAt : s.length) - 1);
    for (; i >= 0; i = i > 0 ? s.lastIndexOf('\n', i - 1) : -1) {
      const before = i > 0 ? s.charCodeAt(i - 1) : c > 0 ? chunks[c - 1]!.charCodeAt(chunks[c - 1]!.length - 1) : -1;
      if (seen >= lineFeeds && before === CR) {
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

const CR = 0x0d;
/** Anything but printable text, tabs, backspaces, CR and LF. */
const NOT_PLAIN = /[^\x20-\x7e\u00a0-\uffff\r\n\t\b]/g;
const SGR = /\x1b\[([0-9;:]*)m/y;
/** Longer colour changes than this are not looked for across a chunk's end. */
const MAX_SGR = 64;
