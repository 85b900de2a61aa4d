// What Ink's output buffer (ink/build/output.js) imports from @alcalzone/ansi-tokenize, made
// cheaper for a full-screen frame; the bundle (scripts/bundle.mjs) points that one import here.
// Ink turns every line of every frame into styled characters and back, with fresh caches per
// frame: a 200×50 table cost 30–40 ms of CPU a frame, most of it re-tokenizing the same lines and
// diffing the (equal) styles of each character with its neighbour through three new Sets. The
// results are the same strings; tests compare them with the package's own functions.
import { styledCharsFromTokens as fromTokens, tokenize as tokenizeAll, type StyledChar, type Token } from '@alcalzone/ansi-tokenize';
import { ansiCodesToString, diffAnsiCodes } from '@alcalzone/ansi-tokenize';

export * from '@alcalzone/ansi-tokenize';

/** Distinct lines kept between frames; a screenful is at most a few hundred. */
const MAX_LINES = 4096;
const tokens = new Map<string, Token[]>();
const styled = new WeakMap<Token[], StyledChar[]>();

/** The tokens of a line, the same array for the same line while it is remembered (Ink only reads it). */
export function tokenize(str: string, endChar?: number): Token[] {
  if (endChar !== undefined) return tokenizeAll(str, endChar);
  let got = tokens.get(str);
  if (got === undefined) {
    if (tokens.size >= MAX_LINES) tokens.clear();
    got = tokenizeAll(str);
    tokens.set(str, got);
  }
  return got;
}

export function styledCharsFromTokens(from: Token[]): StyledChar[] {
  let got = styled.get(from);
  if (got === undefined) {
    got = fromTokens(from);
    styled.set(from, got);
  }
  return got;
}

/** The same codes in the same order: their diff is empty either way round. */
function sameCodes(a: StyledChar['styles'], b: StyledChar['styles']): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.code !== b[i]!.code || a[i]!.endCode !== b[i]!.endCode) return false;
  return true;
}

export function styledCharsToString(chars: StyledChar[]): string {
  let ret = '';
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (i === 0) ret += ansiCodesToString(char.styles);
    else {
      const prev = chars[i - 1]!.styles;
      if (!sameCodes(prev, char.styles)) ret += ansiCodesToString(diffAnsiCodes(prev, char.styles));
    }
    ret += char.value;
    if (i === chars.length - 1 && char.styles.length) ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
  }
  return ret;
}
