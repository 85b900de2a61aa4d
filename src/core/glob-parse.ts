/**
 * Parsing of lock patterns into a small, exactly analysable form.
 *
 * A pattern's language is a set of normalised repository paths: non-empty segments joined by
 * `/`, none of them `.` or `..`. Characters are UTF-16 code units, compared case-sensitively
 * (as picomatch does). Anything this parser cannot represent exactly falls back to the
 * pattern's literal-prefix subtree, which always contains the real language.
 */

/** A set of code units; `/` is never a member, whatever the ranges say. */
export interface CharSet {
  negated: boolean;
  ranges: readonly (readonly [number, number])[];
}

/** One position inside a segment: a single character from a set, or `*` (any run, even empty). */
export type Token = { kind: 'char'; set: CharSet } | { kind: 'star' };

/**
 * A path segment pattern: `**` (zero or more whole segments) or a run of tokens matching one
 * segment; `literal` is the plain name when there are no wildcards (most segments of most locks).
 */
export type Segment = { kind: 'globstar' } | { kind: 'part'; tokens: readonly Token[]; literal: string | null };

/** A pattern as a union of segment sequences; `exact: false` means it is a literal-prefix fallback. */
export interface ParsedPattern {
  exact: boolean;
  alternatives: readonly (readonly Segment[])[];
}

/** Brace expansion beyond this many alternatives falls back rather than blowing up the intersection. */
export const MAX_ALTERNATIVES = 64;

/** Characters that make a segment more than a literal name (for the literal prefix). */
const SPECIAL = /[*?[\]{}()|\\]/;
/** Extglobs and regex groups (`+(a|b)`, `(a|b)`) and escapes: picomatch gives them meanings we do not model. */
const UNMODELLED = /[()|\\]/;

export const ANY_CHAR: CharSet = { negated: true, ranges: [] };
export const GLOBSTAR: Segment = { kind: 'globstar' };
const STAR: Token = { kind: 'star' };

export const SLASH = 0x2f;
export const DOT = 0x2e;

export function isLiteralSegment(segment: string): boolean {
  return !SPECIAL.test(segment);
}

export function charSetHas(set: CharSet, code: number): boolean {
  if (code === SLASH) return false;
  const inside = set.ranges.some(([lo, hi]) => code >= lo && code <= hi);
  return set.negated ? !inside : inside;
}

/** The one code unit a set holds, when it is a plain literal. */
export function singleChar(set: CharSet): number | null {
  const only = set.ranges[0];
  return !set.negated && set.ranges.length === 1 && only![0] === only![1] ? only![0] : null;
}

export type SegmentsResult = { ok: true; segments: string[] } | { ok: false; reason: 'escapes' | 'wildcard-parent' };

/**
 * Lexical normalisation: drops empty and `.` segments and resolves `..` against the segment
 * before it. A `..` after a wildcard segment is refused: the parent of `a/**` is not just `a`'s parent.
 */
export function normalizeSegments(raw: readonly string[]): SegmentsResult {
  const out: string[] = [];
  for (const segment of raw) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') {
      out.push(segment);
      continue;
    }
    const top = out.at(-1);
    if (top === undefined) return { ok: false, reason: 'escapes' };
    if (!isLiteralSegment(top)) return { ok: false, reason: 'wildcard-parent' };
    out.pop();
  }
  return { ok: true, segments: out };
}

/**
 * Expands `{a,b}` groups (nested allowed) into plain alternatives. Returns null for what it
 * will not expand: unbalanced braces, a group without a comma (`{a}` and ranges like `{1..3}`),
 * or more than `max` results.
 */
export function expandBraces(pattern: string, max = MAX_ALTERNATIVES): string[] | null {
  const open = pattern.indexOf('{');
  const firstClose = pattern.indexOf('}');
  if (open === -1) return firstClose === -1 ? [pattern] : null;
  if (firstClose !== -1 && firstClose < open) return null;
  let depth = 0;
  let close = -1;
  const bounds = [open];
  for (let i = open; i < pattern.length && close === -1; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) close = i;
    else if (c === ',' && depth === 1) bounds.push(i);
  }
  if (close === -1 || bounds.length < 2) return null;
  bounds.push(close);
  const head = pattern.slice(0, open);
  const tails = expandBraces(pattern.slice(close + 1), max);
  if (!tails) return null;
  const out = new Set<string>();
  for (let k = 0; k + 1 < bounds.length; k++) {
    const inner = expandBraces(pattern.slice(bounds[k]! + 1, bounds[k + 1]), max);
    if (!inner) return null;
    for (const middle of inner) {
      for (const tail of tails) {
        out.add(head + middle + tail);
        if (out.size > max) return null;
      }
    }
  }
  return [...out];
}

/** Where a segment of some alternative stands: 0 the pattern's very start, 1 a segment's start, 2 after `.`, 3 after `..`, 4 anything else. */
type SegmentState = 0 | 1 | 2 | 3 | 4;

/**
 * Whether some brace alternative of `pattern` has a `..` segment, or starts with `/`, decided
 * without expanding it: the sets of states a run of text can end in are combined group by
 * group, in time linear in the pattern's length, however many alternatives it has. A group
 * without a comma is read as one alternative too, so this never says less than any reading.
 * A plain `..` segment counts as well: call it once `normalizeSegments` has resolved those.
 */
export function braceHazard(pattern: string): 'parent' | 'absolute' | null {
  // Each `{` with its matching `}` and its own commas, found in one pass.
  const close = new Map<number, number>();
  const commas = new Map<number, number[]>();
  const open: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{') {
      open.push(i);
      commas.set(i, []);
    } else if (c === '}' && open.length) close.set(open.pop()!, i);
    else if (c === ',' && open.length) commas.get(open.at(-1)!)!.push(i);
  }
  let found: 'parent' | 'absolute' | null = null;
  const step = (states: Set<SegmentState>, c: string): Set<SegmentState> => {
    const next = new Set<SegmentState>();
    for (const s of states) {
      if (c === '/') {
        if (s === 0) found ??= 'absolute';
        if (s === 3) found ??= 'parent';
        next.add(1);
      } else if (c === '.') next.add(s === 0 || s === 1 ? 2 : s === 2 ? 3 : 4);
      else next.add(4);
    }
    return next;
  };
  // The states reading pattern[from, to) can end in, from `states`; an unmatched brace is a character.
  const run = (from: number, to: number, states: Set<SegmentState>): Set<SegmentState> => {
    for (let i = from; i < to; i++) {
      const end = close.get(i);
      if (end === undefined) {
        states = step(states, pattern[i]!);
        continue;
      }
      const out = new Set<SegmentState>();
      const bounds = [i, ...commas.get(i)!, end];
      for (let k = 0; k + 1 < bounds.length; k++) for (const s of run(bounds[k]! + 1, bounds[k + 1]!, states)) out.add(s);
      states = out;
      i = end;
    }
    return states;
  };
  if (run(0, pattern.length, new Set<SegmentState>([0])).has(3)) found ??= 'parent';
  return found;
}

/** `[abc]`, `[a-z]`, `[!a]`/`[^a]`; null for forms whose meaning differs between glob dialects. */
function parseClass(segment: string, start: number): { token: Token; end: number } | null {
  let i = start + 1;
  const negated = segment[i] === '!' || segment[i] === '^';
  if (negated) i++;
  // `[]a]` is `]` or `a` in POSIX but not everywhere; a leading `]` is too ambiguous to lock on.
  if (segment[i] === ']') return null;
  const ranges: [number, number][] = [];
  for (;;) {
    const c = segment[i];
    if (c === undefined || c === '[' || c === '\\' || c === '/') return null;
    if (c === ']') return { token: { kind: 'char', set: { negated, ranges } }, end: i + 1 };
    const hi = segment[i + 2];
    if (segment[i + 1] === '-' && hi !== undefined && hi !== ']') {
      const [lo, up] = [c.charCodeAt(0), hi.charCodeAt(0)];
      // picomatch lets a range such as `[.-a]` match `/`, crossing directories: do not lock less than it does.
      if (hi === '[' || hi === '\\' || up < lo || (lo <= SLASH && SLASH <= up)) return null;
      ranges.push([lo, up]);
      i += 3;
    } else {
      ranges.push([c.charCodeAt(0), c.charCodeAt(0)]);
      i += 1;
    }
  }
}

function parseSegment(segment: string): Segment | null {
  if (segment === '**') return GLOBSTAR;
  const tokens: Token[] = [];
  for (let i = 0; i < segment.length; ) {
    const c = segment[i]!;
    if (c === '*') {
      // `a**b` means `a*b` to picomatch but "crosses directories" to some users: do not guess.
      if (segment[i + 1] === '*') return null;
      tokens.push(STAR);
      i++;
    } else if (c === '?') {
      tokens.push({ kind: 'char', set: ANY_CHAR });
      i++;
    } else if (c === '[') {
      const cls = parseClass(segment, i);
      if (!cls) return null;
      tokens.push(cls.token);
      i = cls.end;
    } else {
      const code = c.charCodeAt(0);
      tokens.push({ kind: 'char', set: { negated: false, ranges: [[code, code]] } });
      i++;
    }
  }
  // A one-character class (`[a]`) is literal too, but its text is the character, not the brackets.
  const chars = tokens.map((t) => (t.kind === 'char' ? singleChar(t.set) : null));
  return { kind: 'part', tokens, literal: chars.every((ch) => ch !== null) ? String.fromCharCode(...(chars as number[])) : null };
}

/**
 * The longest leading run of whole literal segments (after resolving `.` and `..`), without a
 * trailing slash; `''` when there is none, or when a later `..` could climb out of the prefix.
 */
export function literalPrefix(pattern: string): string {
  if (pattern.startsWith('!')) return '';
  const raw = pattern.split('/');
  const kept: string[] = [];
  for (const [i, segment] of raw.entries()) {
    if (!isLiteralSegment(segment)) {
      const rest = raw.slice(i).flatMap((s) => s.split(/[{},]/));
      return rest.includes('..') ? '' : kept.join('/');
    }
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (kept.pop() === undefined) return '';
    } else {
      kept.push(segment);
    }
  }
  return kept.join('/');
}

function fallback(pattern: string): ParsedPattern {
  const prefix = literalPrefix(pattern);
  const literal = prefix === '' ? [] : prefix.split('/').map((s) => parseSegment(s)!);
  return { exact: false, alternatives: [[...literal, GLOBSTAR]] };
}

/** Splits one brace-free alternative into normalised segments; a trailing `/` means the subtree. */
function alternativeSegments(alternative: string): string[] | null {
  const normal = normalizeSegments(alternative.split('/'));
  if (!normal.ok) return null;
  const { segments } = normal;
  if (alternative.endsWith('/') && segments.length > 0 && segments.at(-1) !== '**') segments.push('**');
  return segments;
}

/**
 * Parses a pattern. Lenient on purpose (a leading `/` is ignored, `..` is resolved): strictness
 * belongs to `normalizeResource`; here every input must get a language that contains its meaning.
 */
export function parsePattern(pattern: string): ParsedPattern {
  if (pattern.startsWith('!') || UNMODELLED.test(pattern)) return fallback(pattern);
  const expanded = expandBraces(pattern);
  if (!expanded) return fallback(pattern);
  const alternatives: Segment[][] = [];
  for (const alternative of expanded) {
    if (alternative.startsWith('!')) return fallback(pattern);
    const segments = alternativeSegments(alternative);
    if (segments === null) return fallback(pattern);
    // An alternative naming the root (`{.,a}`) matches no path; a pattern made only of those
    // names the whole repository, which the fallback below turns into `**`.
    if (segments.length === 0) continue;
    const parsed = segments.map(parseSegment);
    if (parsed.some((s) => s === null)) return fallback(pattern);
    alternatives.push(parsed as Segment[]);
  }
  if (alternatives.length === 0) return fallback(pattern);
  return { exact: true, alternatives };
}
