import { ok, refuse, type Result } from './result.js';

/** One list entry of shared-context.md: `- [#3 12:04] text`, or a bullet someone wrote by hand. */
export interface ContextEntry {
  /** `#3`, `operator` (as written), or null for a bullet without an author tag. */
  author: string | null;
  /** `HH:MM` as written, or null when the tag has no time or there is no tag. */
  time: string | null;
  /** The text after the tag; continuation lines joined with `\n`, their list indentation removed. */
  text: string;
  /** The entry's line(s) exactly as written, joined with `\n`. */
  raw: string;
  /** 1-based line number of the bullet. */
  line: number;
}

/** A `## Heading` and the entries under it, up to the next `##` heading. */
export interface ContextSection {
  /** The heading as written, trimmed. */
  heading: string;
  /** 1-based line number of the heading. */
  line: number;
  entries: ContextEntry[];
}

/** What `parseContextDoc` reads; text before the first `##` heading is the preamble and is not kept. */
export interface ContextDoc {
  sections: ContextSection[];
}

/** A match of `entriesByAuthor`: the entry and the section it is under. */
export interface AuthoredEntry {
  heading: string;
  entry: ContextEntry;
}

export const DEFAULT_SECTIONS = ['Discovered Patterns', 'Decisions Made', 'Blockers'] as const;

export const DEFAULT_CONTEXT_DOC = [
  '# Shared context',
  '',
  'What the agents on this repository have learned, decided and are stuck on: read it before you start, and add to it with `muster context add --section decisions "text"` (or patterns, blockers).',
  '',
  '## Discovered Patterns',
  '',
  '## Decisions Made',
  '',
  '## Blockers',
  '',
].join('\n');

// A Map, not an object literal: `--section constructor` must not find Object.prototype.
const ALIASES = new Map<string, string>([
  ['patterns', 'Discovered Patterns'],
  ['pattern', 'Discovered Patterns'],
  ['discovered', 'Discovered Patterns'],
  ['decisions', 'Decisions Made'],
  ['decision', 'Decisions Made'],
  ['blockers', 'Blockers'],
  ['blocker', 'Blockers'],
]);

const NEWLINE = /\r\n|\r|\n/;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// Only column-0 `##` opens a section: formatEntry indents continuation lines, so an entry whose
// text contains "## x" can never split the document. `##x` (no space) is accepted: people type it.
const HEADING = /^##(?!#)[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$/;
// At most one space of indentation: deeper bullets are nested notes of the entry above.
const BULLET = /^ ?(?:[-*+]|\d{1,9}[.)])[ \t]+(?=\S)/;
// A word author needs a time, or every `[WIP]` and `[x]` would become an author.
const TAG = /^\[(?:(#\d+|operator)(?:[ \t]+(\d{1,2}:\d{2}))?|([A-Za-z][\w.-]*)[ \t]+(\d{1,2}:\d{2}))\][ \t]*/i;
const AUTHOR = /^(?:#\d+|[A-Za-z][\w.-]*)$/;
const TIME = /^\d{2}:\d{2}$/;

interface Line {
  text: string;
  /** Offset just after the line's terminator (or the end of the document). */
  end: number;
  terminated: boolean;
}

interface ScannedSection extends ContextSection {
  /** Index of the section's last non-blank line: where an appended entry goes after. */
  lastIndex: number;
}

function splitLines(doc: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (const m of doc.matchAll(/\r\n|\r|\n/g)) {
    lines.push({ text: doc.slice(start, m.index), end: m.index + m[0].length, terminated: true });
    start = m.index + m[0].length;
  }
  if (start < doc.length) lines.push({ text: doc.slice(start), end: doc.length, terminated: false });
  return lines;
}

const normalize = (heading: string): string => heading.trim().replace(/\s+/g, ' ').toLowerCase();
const sameHeading = (a: string, b: string): boolean => normalize(a) === normalize(b);

function headingOf(text: string): string | null {
  const m = HEADING.exec(text);
  return m?.[1] ? m[1] : null;
}

const isBlank = (text: string): boolean => text.trim() === '';

/** Removes up to `column` leading blanks: the list indentation, keeping any indentation beyond it. */
function dedent(text: string, column: number): string {
  const indent = /^[ \t]*/.exec(text)?.[0].length ?? 0;
  return text.slice(Math.min(indent, column));
}

function toEntry(lines: readonly Line[], first: number, last: number, column: number): ContextEntry {
  const raw = lines.slice(first, last + 1).map((l) => l.text);
  const head = (raw[0] ?? '').slice(column);
  const tag = TAG.exec(head);
  const text = [tag ? head.slice(tag[0].length) : head, ...raw.slice(1).map((l) => dedent(l, column))].map((l) => l.trimEnd()).join('\n');
  return { author: tag ? (tag[1] ?? tag[3] ?? null) : null, time: tag ? (tag[2] ?? tag[4] ?? null) : null, text, raw: raw.join('\n'), line: first + 1 };
}

/**
 * One pass shared by parsing and appending, so that where an entry is inserted and what a later
 * parse reads can never disagree. An entry runs on over indented lines (also after blank lines,
 * as a Markdown list item does) and over unindented text right below it (a lazy continuation).
 */
function scan(lines: readonly Line[]): ScannedSection[] {
  const sections: ScannedSection[] = [];
  let section: ScannedSection | null = null;
  let open: { first: number; last: number; column: number } | null = null;
  const close = (): void => {
    if (open && section) section.entries.push(toEntry(lines, open.first, open.last, open.column));
    open = null;
  };
  lines.forEach(({ text }, i) => {
    const heading = headingOf(text);
    if (heading !== null) {
      close();
      section = { heading, line: i + 1, entries: [], lastIndex: i };
      sections.push(section);
      return;
    }
    if (!section || isBlank(text)) return;
    const bullet = BULLET.exec(text);
    if (bullet) {
      close();
      open = { first: i, last: i, column: bullet[0].length };
    } else if (open && (/^[ \t]/.test(text) || open.last === i - 1)) open.last = i;
    else close();
    section.lastIndex = i;
  });
  close();
  return sections;
}

/** Reads shared-context.md as written by muster, agents or people: CRLF, stray text and odd headings included. */
export function parseContextDoc(text: string): ContextDoc {
  return { sections: scan(splitLines(text)).map(({ heading, line, entries }) => ({ heading, line, entries })) };
}

function titleCase(name: string): string {
  return name
    .split(' ')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * Maps a `--section` argument to a heading. An existing heading matched exactly wins over an
 * alias, so a section the operator renamed (`## Decisions`) still receives `--section decisions`.
 * The default sections are candidates even when the file lacks them. An ambiguous prefix is
 * refused rather than turned into a new section nobody asked for.
 */
export function resolveSection(name: string, headings: readonly string[]): Result<string> {
  if (NEWLINE.test(name)) return refuse('bad-input', `Section name ${JSON.stringify(name)} contains a line break: give it on one line.`);
  const wanted = name.trim().replace(/\s+/g, ' ');
  if (wanted === '') return refuse('bad-input', 'Empty section name: use patterns, decisions, blockers or the name of a section in the file.');
  if (wanted.includes('#')) return refuse('bad-input', `Section name ${JSON.stringify(name)} contains "#": give the heading text without the #s.`);
  if (CONTROL.test(wanted)) return refuse('bad-input', `Section name ${JSON.stringify(name)} contains a control character: remove it.`);
  const key = wanted.toLowerCase();
  const known: string[] = [];
  for (const h of [...headings.map((h) => h.trim()), ...DEFAULT_SECTIONS]) if (h !== '' && !known.some((k) => sameHeading(k, h))) known.push(h);
  const exact = known.find((h) => normalize(h) === key);
  if (exact !== undefined) return ok(exact);
  const alias = ALIASES.get(key);
  if (alias !== undefined) return ok(known.find((h) => sameHeading(h, alias)) ?? alias);
  const prefixed = known.filter((h) => normalize(h).startsWith(key));
  if (prefixed.length === 1) return ok(prefixed[0]!);
  if (prefixed.length > 1) return refuse('bad-input', `Section "${wanted}" could be any of ${prefixed.join(', ')}: type more of its name.`);
  return ok(titleCase(wanted));
}

/**
 * `- [#3 12:04] text`. Further lines of the text are indented under the bullet so they stay part
 * of the entry (and a line reading `## x` cannot start a section); trailing blanks and leading or
 * trailing empty lines are dropped.
 */
export function formatEntry(author: string, time: string, text: string): Result<string> {
  if (!AUTHOR.test(author)) return refuse('bad-input', `Entry author ${JSON.stringify(author)} is not a task (#3) or a name (operator).`);
  if (!TIME.test(time)) return refuse('bad-input', `Entry time ${JSON.stringify(time)} is not HH:MM.`);
  const lines = text.split(/\r\n|\r|\n/).map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const [first, ...rest] = lines;
  if (first === undefined)
    return refuse('bad-input', 'Empty context entry: give the text to record, e.g. muster context add --section decisions "Use zod for every schema".');
  return ok([`- [${author} ${time}] ${first.trimStart()}`, ...rest.map((l) => (l === '' ? '' : `  ${l}`))].join('\n'));
}

/**
 * Inserts a formatted entry after the last entry (or other text) of the section, before the
 * blank lines that lead to the next heading, and leaves every other byte alone: people edit this
 * file by hand and a rewrite would fight their editor. Uses the document's own line ending.
 * A missing section is added at the end; an empty document becomes the default one first.
 */
export function appendEntry(doc: string, heading: string, entry: string): string {
  const base = isBlank(doc) ? DEFAULT_CONTEXT_DOC : doc;
  const eol = NEWLINE.exec(base)?.[0] ?? '\n';
  const body = entry
    .replace(/(?:\r\n|\r|\n)+$/, '')
    .split(/\r\n|\r|\n/)
    .join(eol);
  const lines = splitLines(base);
  const target = scan(lines).find((s) => sameHeading(s.heading, heading));
  if (target) {
    const after = lines[target.lastIndex]!;
    return base.slice(0, after.end) + (after.terminated ? '' : eol) + body + eol + base.slice(after.end);
  }
  const last = lines.at(-1);
  const close = last && !last.terminated ? eol : '';
  const gap = last && !isBlank(last.text) ? eol : '';
  return `${base}${close}${gap}## ${heading.trim()}${eol}${body}${eol}`;
}

/** The entries under every `## Blockers` heading (any capitalisation). */
export function blockerEntries(doc: string): ContextEntry[] {
  return parseContextDoc(doc)
    .sections.filter((s) => sameHeading(s.heading, 'Blockers'))
    .flatMap((s) => s.entries);
}

/**
 * Identity of a blocker for acknowledging it: its tag and text with whitespace collapsed. Not its
 * line, which moves as entries are added above; not its raw bytes, so re-indenting it or
 * switching `-` to `*` does not raise it again.
 */
export function blockerKey(entry: ContextEntry): string {
  return [entry.author?.toLowerCase() ?? '', entry.time ?? '', entry.text].join(' ').replace(/\s+/g, ' ').trim();
}

/** Every entry tagged with `author` (`#3`, `3` or `operator`, any case), in document order. */
export function entriesByAuthor(doc: string, author: string): AuthoredEntry[] {
  const trimmed = author.trim();
  const wanted = (/^\d+$/.test(trimmed) ? `#${trimmed}` : trimmed).toLowerCase();
  return parseContextDoc(doc).sections.flatMap((s) =>
    s.entries.filter((e) => e.author?.toLowerCase() === wanted).map((entry) => ({ heading: s.heading, entry })),
  );
}
