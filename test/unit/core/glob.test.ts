import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { braceHazard, expandBraces } from '../../../src/core/glob-parse.js';
import { isFallback, literalPrefix, matchesPath, normalizeResource, overlapWitness, patternsOverlap } from '../../../src/core/glob.js';

const compiled = new Map<string, (path: string) => boolean>();

/**
 * picomatch `{dot: true}` as an independent oracle, with its quirks ironed out: its fast path
 * for `*.*` wants a character after the dot (`fastpaths: false` removes it), `[!a]` there means
 * "`!` or `a`" (only `[^a]` negates), and a trailing `/**` after a segment ending in `*` misses
 * the directory itself (`*` + `/**` misses `a`, while `a/**` matches `a`). Our `**` always
 * matches zero or more segments.
 */
function oracle(pattern: string, path: string): boolean {
  const source = pattern.replaceAll('[!', '[^');
  let match = compiled.get(source);
  if (!match) {
    match = picomatch(source, { dot: true, fastpaths: false });
    compiled.set(source, match);
  }
  return match(path) || (pattern.endsWith('/**') && oracle(pattern.slice(0, -3), path));
}

describe('patternsOverlap', () => {
  it.each([
    ['src/**/*.ts', 'src/api/*', true],
    ['src/*.test.ts', 'src/*.spec.ts', false],
    ['a/**/b', 'a/b', true],
    ['src/auth/**', 'src/auth/login.ts', true],
    ['src/auth/**', 'src/auth', true],
    ['src/auth/**', 'src/authz/x', false],
    ['*.md', 'docs/a.md', false],
    ['**/*.md', 'docs/a.md', true],
    ['src/a?c', 'src/abc', true],
    ['src/a?c', 'src/ac', false],
    ['src/a?c', 'src/a/c', false],
    ['src/{a,b}/x', 'src/c/x', false],
    ['src/{a,b}/x', 'src/b/*', true],
    ['src/{a,b/c}/x', 'src/b/c/*', true],
    ['src/[abc].ts', 'src/b.ts', true],
    ['src/[abc].ts', 'src/d.ts', false],
    ['src/[a-c]*', 'src/[!a-c]*', false],
    ['src/[!a]?', 'src/a*', false],
    ['[c-e]x', '[!a-d]x', true],
    ['[c-d]x', '[!a-d]x', false],
    ['[!ab0-9]', '[!abc-z]', true],
    ['src/[^a]?', 'src/?b', true],
    ['*', '.env', true],
    ['.*', '*.', true],
    ['a/**', 'b/**', false],
    ['**', 'anything/at/all', true],
    ['**/x/**', '**/y', true],
    ['a/*/b', 'a/b', false],
    ['a/**/b/**/c', 'a/c/b/x', false],
    ['a/**/b/**/c', '*/b/c', true],
  ])('%s and %s overlap: %s', (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });

  it('treats an extglob it cannot analyse as its whole literal-prefix subtree', () => {
    expect(isFallback('src/a+(b|c)/x')).toBe(true);
    expect(patternsOverlap('src/a+(b|c)/x', 'src/zzz/other.ts')).toBe(true);
    expect(patternsOverlap('src/a+(b|c)/x', 'lib/ab/x')).toBe(false);
  });

  it('treats a pattern with no literal prefix to fall back on as overlapping everything', () => {
    expect(patternsOverlap('+(a|b)/x', 'docs/readme.md')).toBe(true);
    expect(patternsOverlap('!src/**', 'src/a.ts')).toBe(true);
  });

  it('falls back on a class range that picomatch lets match /', () => {
    expect(isFallback('src/a[.-a]b')).toBe(true);
    expect(patternsOverlap('src/a[.-a]b', 'src/a/b')).toBe(true);
  });

  it('does not guess what ** inside a segment means', () => {
    expect(isFallback('src/a**b')).toBe(true);
    expect(patternsOverlap('src/a**b', 'src/x/y/z')).toBe(true);
  });

  it('falls back when braces expand past the cap instead of doing 4096 intersections', () => {
    const huge = 'src/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}/x';
    expect(isFallback(huge)).toBe(true);
    expect(literalPrefix(huge)).toBe('src');
    expect(patternsOverlap(huge, 'src/q')).toBe(true);
  });
});

describe('overlapWitness', () => {
  it('names a path both patterns match, for use in messages', () => {
    const witness = overlapWitness('src/**/*.ts', 'src/api/*');
    expect(witness).not.toBeNull();
    expect(matchesPath('src/**/*.ts', witness!)).toBe(true);
    expect(matchesPath('src/api/*', witness!)).toBe(true);
  });

  it('never names . or .. as a segment, since no path contains one', () => {
    expect(overlapWitness('.?', '?.')).toBeNull();
    expect(overlapWitness('.*', '*.')).toBe('...');
  });

  it('is null for disjoint patterns', () => {
    expect(overlapWitness('src/*.test.ts', 'src/*.spec.ts')).toBeNull();
  });
});

describe('matchesPath', () => {
  it.each([
    ['src/auth/**', 'src/auth/login.ts', true],
    ['src/auth/**', 'src/auth', true],
    ['src/auth/**', 'src/authz/x', false],
    ['src/*.ts', 'src/a/b.ts', false],
    ['src/*', 'src/.env', true],
    ['**/*.md', 'README.md', true],
    ['src/{a,b}.ts', 'src/b.ts', true],
    ['src/[!a].ts', 'src/a.ts', false],
    ['src/[!a].ts', 'src/b.ts', true],
    ['src/a', './src//a', true],
    ['src/a', '../src/a', false],
    ['src/a+(b|c)/x', 'src/q', true],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(matchesPath(pattern, path)).toBe(expected);
  });
});

describe('normalizeResource', () => {
  it.each([
    ['./src//a/', 'src/a/**'],
    ['src/auth/', 'src/auth/**'],
    ['src/**/', 'src/**'],
    ['a/../b', 'b'],
    ['src/./x/../y.ts', 'src/y.ts'],
    ['src/**/*.ts', 'src/**/*.ts'],
    ['src/{a,b}/{.x,..y}', 'src/{a,b}/{.x,..y}'],
    [`${'{a,b}'.repeat(7)}/x`, `${'{a,b}'.repeat(7)}/x`],
  ])('normalises %s to %s', (raw, expected) => {
    expect(normalizeResource(raw)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['an empty pattern', '', /Empty lock pattern/],
    ['a blank pattern', '   ', /Empty lock pattern/],
    ['a NUL byte', 'src/a\0b', /NUL byte at byte offset 5/],
    ['an absolute path', '/etc/passwd', /absolute: give it relative to the repository root/],
    ['.. escaping the root', '../secrets', /escapes the repository/],
    ['.. escaping after resolving', 'a/../../b', /escapes the repository/],
    ['.. hidden in braces', 'src/{..,a}/../../x', /escape the repository|after a wildcard/],
    ['.. in a brace alternative', '{..,a}/x', /".." inside braces, which could escape the repository/],
    ['.. in a brace alternative past the expansion cap', `${'{a,b}'.repeat(7)}/{..,x}/secret`, /".." inside braces/],
    ['.. spelt across two brace groups', '{.,x}{.,y}/secret', /".." inside braces/],
    ['.. across a slash inside braces', '{a/..,b}/../../x', /".." inside braces|after a wildcard/],
    ['.. at the end of a brace alternative', 'src/{x,..}', /".." inside braces/],
    ['an absolute brace alternative', '{/etc/passwd,a}', /absolute path inside braces/],
    ['an absolute alternative after an empty one', '{,/}etc/shadow', /absolute path inside braces/],
    ['a pattern longer than a path can be', `${'a/'.repeat(2100)}x`, /is 4201 characters long; a path is at most 4096/],
    ['.. after a wildcard', 'src/*/../x', /after a wildcard/],
    ['the repository root', './', /repository root itself: use \*\*/],
    ['a backslash', 'src\\auth', /backslash: separate directories with \//],
    ['a newline', 'src/a\nb', /control character/],
  ])('refuses %s as bad input', (_name, raw, message) => {
    const r = normalizeResource(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('bad-input');
      expect(r.error.message).toMatch(message);
    }
  });
});

describe('braceHazard', () => {
  const braces = fc.string({ unit: fc.constantFrom('.', '/', 'a', '{', '}', ','), maxLength: 14 });

  it('finds every .. segment and leading / that expanding the braces would produce', () => {
    fc.assert(
      fc.property(braces, (pattern) => {
        const alternatives = expandBraces(pattern, 100_000);
        fc.pre(alternatives !== null);
        const escapes = alternatives!.some((a) => a.startsWith('/') || a.split('/').includes('..'));
        if (escapes) expect(braceHazard(pattern)).not.toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('answers for a pattern of thousands of alternatives without expanding them', () => {
    const pattern = `${'{a,b,c,d}'.repeat(40)}/{x,..}`;
    expect(expandBraces(pattern)).toBeNull();
    expect(braceHazard(pattern)).toBe('parent');
    expect(braceHazard(`${'{a,b,c,d}'.repeat(40)}/x`)).toBeNull();
  });
});

describe('literalPrefix', () => {
  it.each([
    ['src/a+(b|c)/x', 'src'],
    ['src/auth/**', 'src/auth'],
    ['*.md', ''],
    ['a/b/../c/*', 'a/c'],
    ['a/*/../../x', ''],
    ['!a/b', ''],
  ])('of %s is %j', (pattern, prefix) => {
    expect(literalPrefix(pattern)).toBe(prefix);
  });
});

// Property tests over a small alphabet, so that random patterns often intersect.
const CHAR = fc.constantFrom('a', 'b', '.');
const RUN = fc.string({ unit: CHAR, maxLength: 2 });
const TOKENS: { text: string; sample: fc.Arbitrary<string> }[] = [
  { text: 'a', sample: fc.constant('a') },
  { text: 'b', sample: fc.constant('b') },
  { text: '.', sample: fc.constant('.') },
  { text: '*', sample: RUN },
  { text: '?', sample: CHAR },
  { text: '[ab]', sample: fc.constantFrom('a', 'b') },
  { text: '[!a]', sample: fc.constantFrom('b', '.') },
  { text: '[.a-b]', sample: fc.constantFrom('.', 'a', 'b') },
  {
    text: '{a,*b}',
    sample: fc.oneof(
      fc.constant('a'),
      RUN.map((s) => `${s}b`),
    ),
  },
];

type GenSegment = 'globstar' | number[];
const segmentArb: fc.Arbitrary<GenSegment> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('globstar' as const) },
  { weight: 3, arbitrary: fc.array(fc.integer({ min: 0, max: TOKENS.length - 1 }), { minLength: 1, maxLength: 3 }) },
);
const render = (pattern: GenSegment[]): string => pattern.map((s) => (s === 'globstar' ? '**' : s.map((t) => TOKENS[t]!.text).join(''))).join('/');
// `.` and `..` segments never survive normalizeResource, so locks never carry them.
const patternArb = fc.array(segmentArb, { minLength: 1, maxLength: 4 }).filter((p) =>
  render(p)
    .split('/')
    .every((s) => s !== '.' && s !== '..'),
);

const NAME = fc.string({ unit: CHAR, minLength: 1, maxLength: 3 }).filter((s) => s !== '.' && s !== '..');
const randomPath = fc.array(NAME, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

/** A path drawn from the pattern's own language, so that intersections are found often. */
function pathIn(pattern: GenSegment[]): fc.Arbitrary<string> {
  const parts = pattern.map((s) =>
    s === 'globstar' ? fc.array(NAME, { maxLength: 2 }) : fc.tuple(...s.map((t) => TOKENS[t]!.sample)).map((chars) => [chars.join('')]),
  );
  return fc.tuple(...parts).map((segments) => segments.flat().join('/'));
}

const isValidPath = (path: string): boolean => path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');

const pairWithPath = fc
  .tuple(patternArb, patternArb)
  .chain(([a, b]) => fc.tuple(fc.constant(render(a)), fc.constant(render(b)), fc.oneof(pathIn(a), pathIn(b), randomPath)))
  .filter(([, , path]) => isValidPath(path));

describe('glob properties', () => {
  it('never calls two patterns disjoint when a path matches both (picomatch oracle)', () => {
    fc.assert(
      fc.property(pairWithPath, ([a, b, path]) => {
        if (oracle(a, path) && oracle(b, path)) expect(patternsOverlap(a, b)).toBe(true);
        if (matchesPath(a, path) && matchesPath(b, path)) expect(patternsOverlap(a, b)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('backs every overlap of analysable patterns with a path both patterns match', () => {
    fc.assert(
      fc.property(patternArb, patternArb, (ga, gb) => {
        const [a, b] = [render(ga), render(gb)];
        fc.pre(!isFallback(a) && !isFallback(b));
        const witness = overlapWitness(a, b);
        expect(witness !== null).toBe(patternsOverlap(b, a));
        if (witness === null) return;
        expect(isValidPath(witness)).toBe(true);
        for (const pattern of [a, b]) {
          expect(matchesPath(pattern, witness)).toBe(true);
          expect(oracle(pattern, witness)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('matches paths exactly as picomatch {dot: true} does', () => {
    fc.assert(
      fc.property(pairWithPath, ([a, , path]) => {
        fc.pre(!isFallback(a));
        expect(matchesPath(a, path)).toBe(oracle(a, path));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a fallback a superset of what picomatch matches', () => {
    const extglob = fc.tuple(fc.constantFrom('src', 'a'), fc.constantFrom('+(a|b)', '@(a|.b)', 'a**', '*(a)b')).map(([head, tail]) => `${head}/${tail}`);
    fc.assert(
      fc.property(extglob, fc.array(NAME, { minLength: 1, maxLength: 3 }), (pattern, names) => {
        const path = names.join('/');
        if (oracle(pattern, path)) expect(matchesPath(pattern, path)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('one-character classes', () => {
  it('treats [a] as the letter a when deciding overlap, so two such locks conflict', () => {
    expect(patternsOverlap('src/[a]pi/**', 'src/api/**')).toBe(true);
    expect(matchesPath('src/[a]pi/x.ts', 'src/api/x.ts')).toBe(true);
    expect(patternsOverlap('src/[a]pi/x.ts', 'src/[b]pi/x.ts')).toBe(false);
  });
});
