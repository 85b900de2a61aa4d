/** One line of a gate's output as an excerpt shows it; `failing` lines are the ones that say why. */
export interface ExcerptLine {
  text: string;
  failing: boolean;
}

/**
 * Lines that say a test or a step failed, in the words of common runners: vitest/jest (`FAIL`,
 * `×`, `AssertionError`), TAP (`not ok`), go (`--- FAIL`), pytest (`FAILED`, `E   `), cargo
 * (`panicked`), mocha (`1) `), compilers and shells (`error:`, `Error:`).
 */
const FAILING = [
  /\bFAIL(?:ED|URE)?\b/,
  // × ✗ ✘ ✖, escaped: one non-ASCII character in the CLI bundle makes V8 hold all of its source
  // as two-byte text (see scripts/bundle.mjs).
  /^\s*(?:\u00d7|\u2717|\u2718|\u2716)/,
  /^\s*not ok\b/,
  /\b[A-Za-z]*Error\b:?/,
  /\berror(?:\[\w+\]| TS\d+)?:/i,
  /\bpanicked\b/,
  /^E {3}/,
  /^\s*Traceback \(most recent call last\)/,
  /^\s*\d+\) \S/,
];

const GAP = '…';

/**
 * The part of a gate's output that shows what failed: the first error with a few lines after
 * it, a little around every other failing line, and the last lines (the runner's summary),
 * within `max` lines. A runner's last lines alone often name only a count of failures.
 * Plain text in: escape sequences are the caller's to remove.
 */
export function failingPart(output: string, opts: { max?: number; tail?: number } = {}): ExcerptLine[] {
  const max = opts.max ?? 40;
  const tailSize = opts.tail ?? 8;
  const lines = output.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  if (lines.length <= max) return lines.map((text) => ({ text, failing: isFailing(text) }));
  const keep = new Set<number>();
  const failing = lines.flatMap((l, i) => (isFailing(l) ? [i] : []));
  for (let i = Math.max(0, lines.length - tailSize); i < lines.length; i++) keep.add(i);
  const budget = max - tailSize - 2;
  // The first failure gets room for its message and stack; the rest a line around each.
  const windows = failing.map((at, n) => (n === 0 ? [at - 1, at + 7] : [at - 1, at + 2]) as [number, number]);
  for (const [from, to] of windows) {
    const added = [];
    for (let i = Math.max(0, from); i <= Math.min(lines.length - 1, to); i++) if (!keep.has(i)) added.push(i);
    if (countOutsideTail(keep, lines.length - tailSize) + added.length > budget) break;
    for (const i of added) keep.add(i);
  }
  const out: ExcerptLine[] = [];
  let last = -1;
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (i !== last + 1) out.push({ text: GAP, failing: false });
    out.push({ text: lines[i]!, failing: isFailing(lines[i]!) });
    last = i;
  }
  return out;
}

function isFailing(line: string): boolean {
  return FAILING.some((re) => re.test(line));
}

function countOutsideTail(keep: Set<number>, tailStart: number): number {
  let n = 0;
  for (const i of keep) if (i < tailStart) n++;
  return n;
}
