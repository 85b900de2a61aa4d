import {
  ANY_CHAR,
  braceHazard,
  charSetHas,
  DOT,
  normalizeSegments,
  parsePattern,
  singleChar,
  SLASH,
  type CharSet,
  type ParsedPattern,
  type Segment,
  type Token,
} from './glob-parse.js';
import { nulByteOffset } from './input-text.js';
import { ok, refuse, type Result } from './result.js';

export { literalPrefix } from './glob-parse.js';

/** As long as a path may be (PATH_MAX); longer is a mistake, and would only cost every lock check. */
export const MAX_PATTERN_LENGTH = 4096;

/** Control characters would break the one-line audit log and every message that quotes a pattern. */
const CONTROL = /[\u0001-\u001f\u007f]/;

/**
 * Normalises a lock pattern as typed by a person or an agent: collapses `./` and `//`, resolves
 * `..` that stays inside the repository, and turns a trailing `/` into the subtree (`src/auth/`
 * → `src/auth/**`). Refuses what cannot name a path in the repository. Backslashes are refused,
 * not read as escapes or Windows separators: either reading would silently lock something else.
 * Whitespace is kept: a file name may start or end with a space.
 */
export function normalizeResource(raw: string): Result<string> {
  const shown = JSON.stringify(raw);
  if (raw.trim() === '') return refuse('bad-input', 'Empty lock pattern: name a file (src/a.ts), a directory (src/auth/) or a glob (src/**/*.ts).');
  if (raw.length > MAX_PATTERN_LENGTH)
    return refuse(
      'bad-input',
      `Lock pattern ${JSON.stringify(`${raw.slice(0, 40)}…`)} is ${raw.length} characters long; a path is at most ${MAX_PATTERN_LENGTH}.`,
    );
  const nul = nulByteOffset(raw);
  if (nul !== null) return refuse('bad-input', `Lock pattern ${shown} contains a NUL byte at byte offset ${nul}: remove it.`);
  if (CONTROL.test(raw)) return refuse('bad-input', `Lock pattern ${shown} contains a control character: remove it.`);
  if (raw.includes('\\')) return refuse('bad-input', `Lock pattern ${shown} contains a backslash: separate directories with /; escapes are not supported.`);
  if (raw.startsWith('/')) return refuse('bad-input', `Lock pattern ${shown} is absolute: give it relative to the repository root (for example src/auth/**).`);
  const normal = normalizeSegments(raw.split('/'));
  if (!normal.ok) return refuseSegments(shown, normal.reason);
  const segments = normal.segments;
  if (segments.length === 0) return refuse('bad-input', `Lock pattern ${shown} names the repository root itself: use ** to lock everything.`);
  if (raw.endsWith('/') && segments.at(-1) !== '**') segments.push('**');
  const resource = segments.join('/');
  // Decided on the pattern, not on its expansion: expansion stops at a cap, and what lies past
  // the cap must not go unchecked.
  const hazard = braceHazard(resource);
  if (hazard === 'parent')
    return refuse('bad-input', `Lock pattern ${shown} has ".." inside braces, which could escape the repository: write each alternative without "..".`);
  if (hazard === 'absolute')
    return refuse('bad-input', `Lock pattern ${shown} has an absolute path inside braces: give every alternative relative to the repository root.`);
  return ok(resource);
}

function refuseSegments(shown: string, reason: 'escapes' | 'wildcard-parent'): Result<never> {
  return reason === 'escapes'
    ? refuse('bad-input', `Lock pattern ${shown} escapes the repository with "..": give a path inside it.`)
    : refuse('bad-input', `Lock pattern ${shown} has ".." after a wildcard, which cannot be resolved: write the path without it.`);
}

// Every lock request is checked against every held lock, mostly with patterns seen before.
const CACHE_LIMIT = 4096;
const parsed = new Map<string, ParsedPattern>();
const witnesses = new Map<string, string | null>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

function parse(pattern: string): ParsedPattern {
  return parsed.get(pattern) ?? remember(parsed, pattern, parsePattern(pattern));
}

/** True when `pattern` falls back to its literal-prefix subtree instead of being analysed exactly. */
export function isFallback(pattern: string): boolean {
  return !parse(pattern).exact;
}

function tokenMatches(token: Token, code: number): boolean {
  return code !== SLASH && (token.kind === 'star' || charSetHas(token.set, code));
}

function segmentMatches(tokens: readonly Token[], text: string): boolean {
  const close = (positions: Set<number>): Set<number> => {
    for (const p of positions) if (tokens[p]?.kind === 'star') positions.add(p + 1);
    return positions;
  };
  let at = close(new Set([0]));
  for (let i = 0; i < text.length && at.size > 0; i++) {
    const code = text.charCodeAt(i);
    const next = new Set<number>();
    for (const p of at) {
      const token = tokens[p];
      if (token && tokenMatches(token, code)) next.add(token.kind === 'star' ? p : p + 1);
    }
    at = close(next);
  }
  return at.has(tokens.length);
}

function alternativeMatches(pattern: readonly Segment[], path: readonly string[]): boolean {
  const close = (positions: Set<number>): Set<number> => {
    for (const p of positions) if (pattern[p]?.kind === 'globstar') positions.add(p + 1);
    return positions;
  };
  let at = close(new Set([0]));
  for (const name of path) {
    const next = new Set<number>();
    for (const p of at) {
      const segment = pattern[p];
      if (segment?.kind === 'globstar') next.add(p);
      else if (segment && segmentMatches(segment.tokens, name)) next.add(p + 1);
    }
    at = close(next);
  }
  return at.has(pattern.length);
}

/**
 * Whether a concrete repository path is in the pattern's language (the fallback subtree for a
 * pattern that cannot be analysed). The path is normalised lexically first; one that escapes
 * the repository or names its root matches nothing.
 */
export function matchesPath(pattern: string, path: string): boolean {
  const normal = normalizeSegments(path.split('/'));
  if (!normal.ok || normal.segments.length === 0) return false;
  const segments = normal.segments;
  return parse(pattern).alternatives.some((alternative) => alternativeMatches(alternative, segments));
}

const ANY_SEGMENT: readonly Token[] = [{ kind: 'star' }];
const PREFERRED = [0x61, 0x62, 0x30];

/** A code unit other than `.` and `/` in both sets, if any: interval ends are the only candidates needed. */
function pickChar(a: CharSet, b: CharSet): string | null {
  if (a === ANY_CHAR && b === ANY_CHAR) return 'a';
  const both = (c: number): boolean => c >= 0 && c <= 0xffff && c !== DOT && charSetHas(a, c) && charSetHas(b, c);
  const single = singleChar(a) ?? singleChar(b);
  if (single !== null) return both(single) ? String.fromCharCode(single) : null;
  const found =
    PREFERRED.find(both) ?? [...a.ranges, ...b.ranges, [DOT, SLASH] as const, [0, 0xffff] as const].flatMap(([lo, hi]) => [lo, hi, lo - 1, hi + 1]).find(both);
  return found === undefined ? null : String.fromCharCode(found);
}

/**
 * Shortest-first search over (position in a, position in b, validity) where validity tracks
 * whether the text so far is empty, `.` or `..` — the segment names no path may contain.
 */
function segmentWitness(a: readonly Token[], b: readonly Token[]): string | null {
  const width = (b.length + 1) * 4;
  const from = new Int32Array((a.length + 1) * width).fill(-2);
  const via: string[] = [];
  const queue = [0];
  from[0] = -1;
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    const p = Math.floor(state / width);
    const q = Math.floor((state % width) / 4);
    const v = state % 4;
    if (p === a.length && q === b.length && v === 3) return spell(from, via, state);
    const visit = (np: number, nq: number, nv: number, text: string): void => {
      const next = np * width + nq * 4 + nv;
      if (from[next] !== -2) return;
      from[next] = state;
      via[next] = text;
      queue.push(next);
    };
    const ta = a[p];
    const tb = b[q];
    if (ta?.kind === 'star') visit(p + 1, q, v, '');
    if (tb?.kind === 'star') visit(p, q + 1, v, '');
    if (!ta || !tb) continue;
    const sa = ta.kind === 'star' ? ANY_CHAR : ta.set;
    const sb = tb.kind === 'star' ? ANY_CHAR : tb.set;
    const np = ta.kind === 'star' ? p : p + 1;
    const nq = tb.kind === 'star' ? q : q + 1;
    if (charSetHas(sa, DOT) && charSetHas(sb, DOT)) visit(np, nq, v === 0 ? 1 : v === 1 ? 2 : 3, '.');
    const c = pickChar(sa, sb);
    if (c !== null) visit(np, nq, 3, c);
  }
  return null;
}

function spell(from: Int32Array, via: string[], end: number): string {
  const parts: string[] = [];
  for (let s = end; from[s]! >= 0; s = from[s]!) parts.push(via[s]!);
  return parts.reverse().join('');
}

/** A name both segments match; literal names, the common case, need no search. */
function segmentsWitness(a: Segment, b: Segment): string | null {
  const [left, right] = a.kind === 'part' && a.literal === null ? [b, a] : [a, b];
  if (left.kind === 'part' && left.literal !== null) {
    if (right.kind === 'globstar') return left.literal;
    if (right.literal !== null) return left.literal === right.literal ? left.literal : null;
    return segmentMatches(right.tokens, left.literal) ? left.literal : null;
  }
  return segmentWitness(left.kind === 'globstar' ? ANY_SEGMENT : left.tokens, right.kind === 'globstar' ? ANY_SEGMENT : right.tokens);
}

/** The same search one level up: states are (segment in a, segment in b); `**` may consume or step aside. */
function alternativeWitness(a: readonly Segment[], b: readonly Segment[]): string[] | null {
  const width = b.length + 1;
  const from = new Int32Array((a.length + 1) * width).fill(-2);
  const via: string[] = [];
  const queue = [0];
  from[0] = -1;
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head]!;
    const i = Math.floor(state / width);
    const j = state % width;
    if (i === a.length && j === b.length) {
      const path = spell(from, via, state);
      // Reached without consuming: both are all `**`, and paths are never empty.
      return path === '' ? ['a'] : path.split('/').slice(1);
    }
    const visit = (ni: number, nj: number, name: string): void => {
      const next = ni * width + nj;
      if (from[next] !== -2) return;
      from[next] = state;
      via[next] = name === '' ? '' : `/${name}`;
      queue.push(next);
    };
    const sa = a[i];
    const sb = b[j];
    if (sa?.kind === 'globstar') visit(i + 1, j, '');
    if (sb?.kind === 'globstar') visit(i, j + 1, '');
    if (!sa || !sb) continue;
    const name = segmentsWitness(sa, sb);
    if (name !== null) visit(sa.kind === 'globstar' ? i : i + 1, sb.kind === 'globstar' ? j : j + 1, name);
  }
  return null;
}

/**
 * A concrete path in both patterns' languages, or null when they are disjoint. Exact for
 * patterns that parse; a fallback pattern is intersected as its literal-prefix subtree.
 */
export function overlapWitness(a: string, b: string): string | null {
  const key = a < b ? `${a.length}:${a}${b}` : `${b.length}:${b}${a}`;
  const cached = witnesses.get(key);
  if (cached !== undefined) return cached;
  for (const left of parse(a).alternatives) {
    for (const right of parse(b).alternatives) {
      const path = alternativeWitness(left, right);
      if (path) return remember(witnesses, key, path.join('/'));
    }
  }
  return remember(witnesses, key, null);
}

/** Whether some path matches both patterns, decided by intersecting their languages (not by matching one against the other). */
export function patternsOverlap(a: string, b: string): boolean {
  return overlapWitness(a, b) !== null;
}
