import { normalizeResource, overlapWitness } from './glob.js';
import { ok, refuse, type Result } from './result.js';

/** One line of `## Parallel Tracks`: becomes one task whose writes are `files`. */
export interface SpecTrack {
  /** The name before the colon, e.g. `Track A`; the whole name when there is no colon. */
  label: string;
  /** The description after the colon, e.g. `API endpoints`; the label when there is none. */
  title: string;
  /** Normalised lock patterns (see `normalizeResource`), duplicates removed, in the order written. */
  files: string[];
  /** Text after the `(files: …)` list, e.g. `depends on Track B`; empty when there is none. */
  note: string;
  /** 1-based line of the list item. */
  line: number;
}

/** One path of `## Shared Resources`: read-locked by the operator while the tracks run. */
export interface SharedResource {
  /** A normalised lock pattern. */
  path: string;
  /** 1-based line of the list item. */
  line: number;
}

/** What `muster task import` reads from a spec. */
export interface SpecImport {
  tracks: SpecTrack[];
  shared: SharedResource[];
}

type SectionKind = 'tracks' | 'shared';

interface Item {
  kind: SectionKind;
  text: string;
  line: number;
}

const EXAMPLE = '"- Track A: API endpoints (files: src/api/*)"';
const FILES_EXAMPLE = '(files: src/models/*)';
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const ITEM = /^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const FILES = /\(\s*files?\s*:/i;

function sectionKind(heading: string): SectionKind | null {
  if (/\bparallel\s+tracks?\b/i.test(heading)) return 'tracks';
  if (/\bshared\s+resources?\b/i.test(heading)) return 'shared';
  return null;
}

/**
 * The list items of the two sections, with wrapped lines joined. Fenced code is skipped: a spec
 * that documents this very format in an example block must not import the example.
 */
function collect(lines: readonly string[]): { items: Item[]; tracksLine: number | null } {
  const items: Item[] = [];
  let tracksLine: number | null = null;
  let fence: string | null = null;
  let section: { kind: SectionKind; level: number; indent: number | null } | null = null;
  let item: Item | null = null;
  lines.forEach((text, i) => {
    if (fence !== null) {
      const close = FENCE.exec(text)?.[1];
      if (close && close[0] === fence[0] && close.length >= fence.length && text.trim() === close) fence = null;
      return;
    }
    const opening = FENCE.exec(text)?.[1];
    if (opening) {
      fence = opening;
      item = null;
      return;
    }
    const heading = HEADING.exec(text);
    if (heading) {
      const level = heading[1]!.length;
      const kind = level === 2 || level === 3 ? sectionKind(heading[2] ?? '') : null;
      if (kind !== null) section = { kind, level, indent: null };
      // A deeper heading is a subsection of the one we are in; the same level or higher ends it.
      else if (section && level <= section.level) section = null;
      if (kind === 'tracks') tracksLine ??= i + 1;
      item = null;
      return;
    }
    if (!section || text.trim() === '') {
      item = null;
      return;
    }
    const li = ITEM.exec(text);
    if (li) {
      const indent = li[1]!.length;
      section.indent ??= indent;
      // Deeper items are notes under a track or resource, not tracks or resources of their own.
      // A task-list checkbox (`- [ ] Track A: ...`) is not part of the name.
      item = indent <= section.indent ? { kind: section.kind, text: li[2]!.replace(/^\[[ xX]\][ \t]+/, '').trim(), line: i + 1 } : null;
      if (item && item.text !== '') items.push(item);
    } else if (item) item.text = `${item.text} ${text.trim()}`;
  });
  return { items, tracksLine };
}

type Paths = { paths: string[] } | { error: string };

/**
 * Comma-separated paths, each bare or in backticks. Commas inside `{}` and `[]` belong to the
 * glob. A space outside backticks is refused where nothing may follow the list, because
 * normalizeResource keeps spaces as part of a name and "a.ts b.ts" would become one odd path.
 */
function readPaths(text: string, describable: boolean): Paths {
  const paths: string[] = [];
  const blank = (c: string | undefined): boolean => c === ' ' || c === '\t';
  let i = 0;
  for (;;) {
    while (blank(text[i])) i++;
    if (i >= text.length) return { paths };
    if (text[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    if (text[i] === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) return { error: `the backtick in ${JSON.stringify(text.slice(i))} is not closed; close it after the path` };
      paths.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      let depth = 0;
      for (; i < text.length; i++) {
        const c = text[i]!;
        if (c === '{' || c === '[') depth++;
        else if ((c === '}' || c === ']') && depth > 0) depth--;
        else if (depth === 0 && (c === ',' || blank(c))) break;
      }
      paths.push(text.slice(start, i));
    }
    while (blank(text[i])) i++;
    if (i >= text.length || (describable && text[i] !== ',')) return { paths };
    if (text[i] !== ',') {
      const stretch = text.slice(start, text.indexOf(',', i) < 0 ? undefined : text.indexOf(',', i)).trim();
      return { error: `${JSON.stringify(stretch)} has a space in it; separate paths with commas, and put a name containing spaces in backticks` };
    }
  }
}

/** Normalised, de-duplicated patterns, or the first refusal with the message normalizeResource gave. */
function normalizeAll(raw: readonly string[]): Paths {
  const paths: string[] = [];
  for (const path of raw) {
    const normal = normalizeResource(path);
    if (!normal.ok) return { error: normal.error.message };
    if (!paths.includes(normal.value)) paths.push(normal.value);
  }
  return { paths };
}

const unwrap = (text: string): string =>
  text
    .trim()
    .replace(/^[*_`]+|[*_`]+$/g, '')
    .trim();

function splitName(head: string): { label: string; title: string } {
  // The first separator wins, so a title may itself contain a colon or a dash.
  const separator = /:|\s[-–—]\s/.exec(head);
  const at = separator && separator.index > 0 ? separator.index : -1;
  const cut = separator?.[0].length ?? 0;
  const label = unwrap(at < 0 ? head : head.slice(0, at));
  const title = at < 0 ? '' : unwrap(head.slice(at + cut));
  return { label, title: title === '' ? label : title };
}

/** The index of the `)` closing a list that starts at `from`, skipping backticked text and nested parentheses. */
function closingParen(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')' && depth-- === 0) return i;
  }
  return -1;
}

function trackHead(text: string): { files: RegExpExecArray | null; label: string; title: string } {
  const files = FILES.exec(text);
  return { files, ...splitName(files ? text.slice(0, files.index) : text) };
}

function parseTrack({ text, line }: Item): SpecTrack | string {
  const where = `line ${line}:`;
  const { files, label, title } = trackHead(text);
  const name = label === '' ? 'this track' : label;
  if (!files) return `${where} ${name} has no (files: ...) list; add the paths it will change, e.g. ${FILES_EXAMPLE}`;
  if (label === '') return `${where} this track has no name; write it as ${EXAMPLE}`;
  const start = files.index + files[0].length;
  const end = closingParen(text, start);
  if (end < 0) return `${where} the (files: ...) list of ${name} is not closed; end it with ")"`;
  const read = readPaths(text.slice(start, end), false);
  if ('error' in read) return `${where} in the files of ${name}, ${read.error}`;
  if (read.paths.length === 0) return `${where} ${name} has an empty (files: ...) list; add the paths it will change, e.g. ${FILES_EXAMPLE}`;
  const normal = normalizeAll(read.paths);
  if ('error' in normal) return `${where} in the files of ${name}: ${normal.error}`;
  const note = text
    .slice(end + 1)
    .trim()
    .replace(/^[\s.,;:–—-]+|[\s.,;]+$/g, '');
  return { label, title, files: normal.paths, note, line };
}

function parseShared({ text, line }: Item): SharedResource[] | string {
  const read = readPaths(text, true);
  if ('error' in read) return `line ${line}: in Shared Resources, ${read.error}`;
  const normal = normalizeAll(read.paths);
  if ('error' in normal) return `line ${line}: in Shared Resources: ${normal.error}`;
  return normal.paths.map((path) => ({ path, line }));
}

/**
 * Reads the `## Parallel Tracks` and optional `## Shared Resources` sections of a spec. Every
 * problem is reported at once, each with its line, so one round of edits fixes the file.
 * A track that would write a shared resource is refused: that resource stays read-locked for the
 * whole parallel phase, so the track's task could not start until the phase is over.
 */
export function parseSpecImport(markdown: string): Result<SpecImport> {
  const { items, tracksLine } = collect(markdown.split(/\r\n|\r|\n/));
  if (tracksLine === null) {
    return refuse('bad-input', `The spec has no "## Parallel Tracks" section: add one with a line per track, e.g. ${EXAMPLE}.`);
  }
  const errors: string[] = [];
  const tracks: SpecTrack[] = [];
  const shared: SharedResource[] = [];
  // Labels of refused tracks count too: fixing one line must not reveal a duplicate next round.
  const labels = new Map<string, number>();
  for (const item of items) {
    if (item.kind === 'tracks') {
      const { label } = trackHead(item.text);
      const first = labels.get(label.toLowerCase());
      if (label !== '' && first === undefined) labels.set(label.toLowerCase(), item.line);
      if (label !== '' && first !== undefined) {
        errors.push(`line ${item.line}: ${label} is listed twice (first on line ${first}); give each track its own label`);
        continue;
      }
    }
    const parsed = item.kind === 'tracks' ? parseTrack(item) : parseShared(item);
    if (typeof parsed === 'string') errors.push(parsed);
    else if (Array.isArray(parsed)) shared.push(...parsed.filter((s) => !shared.some((known) => known.path === s.path)));
    else tracks.push(parsed);
  }
  if (tracks.length === 0 && errors.length === 0) {
    errors.push(`line ${tracksLine}: the Parallel Tracks section lists no tracks; add one line per track, e.g. ${EXAMPLE}`);
  }
  for (const track of tracks) {
    for (const resource of shared) {
      const file = track.files.find((f) => overlapWitness(f, resource.path) !== null);
      if (file === undefined) continue;
      errors.push(
        `line ${track.line}: ${track.label} would change ${overlapWitness(file, resource.path)} (its files include ${file}), ` +
          `but line ${resource.line} makes ${resource.path} a shared resource, read-locked while the tracks run; ` +
          `take it out of the files of ${track.label} or out of Shared Resources`,
      );
    }
  }
  errors.sort((a, b) => lineOf(a) - lineOf(b));
  if (errors.length === 1) return refuse('bad-input', `${errors[0]}.`);
  if (errors.length > 1) return refuse('bad-input', `${errors.length} problems in the spec:\n${errors.map((e) => `${e}.`).join('\n')}`);
  return ok({ tracks, shared });
}

const lineOf = (error: string): number => Number(/^line (\d+)/.exec(error)?.[1] ?? 0);

/**
 * The task title: the description without the label. Labels like "Track A" are the same few
 * words on every imported task, and the task list shows only the start of each title; the
 * label still reaches the agent through the prompt. A track written without a label keeps its name.
 */
export function trackTaskTitle(track: SpecTrack): string {
  return track.title;
}

const bullets = (lines: readonly string[]): string => lines.map((l) => `- ${l}`).join('\n');

/**
 * The prompt of a track's agent: which part of which spec is its own, the paths it may change,
 * the shared resources it must leave alone, and what the other agents are doing meanwhile.
 */
export function trackPrompt(track: SpecTrack, specFileName: string, spec: SpecImport): string {
  const name = track.title === track.label ? track.label : `${track.label} (${track.title})`;
  const others = spec.tracks.filter((t) => t.label !== track.label);
  const parts = [
    `Implement ${name} of ${specFileName}. Read ${specFileName} first: it describes the whole change, and your part is ${track.label}.` +
      (others.length > 0 ? ' Other agents are implementing the other tracks at the same time.' : ''),
    `Files you may change (locked for you):\n${bullets(track.files)}\nKeep your changes inside these paths.`,
  ];
  if (track.note !== '') parts.push(`The spec adds: ${track.note}`);
  if (spec.shared.length > 0) {
    parts.push(
      `Shared resources, read-locked while the tracks run: read them, do not change them:\n${bullets(spec.shared.map((s) => s.path))}\n` +
        'If one of them needs a change, record it as a blocker: muster context add --section blockers "what and why".',
    );
  }
  if (others.length > 0) {
    parts.push(
      `Other tracks, in progress in parallel (leave their files alone):\n${bullets(others.map((t) => `${t.label}: ${t.title} (${t.files.join(', ')})`))}`,
    );
  }
  parts.push(
    'Read the shared context ($MUSTER_CONTEXT) before you start, and add what the other agents should know: ' +
      'muster context add --section decisions "text" (or patterns, blockers).',
  );
  return `${parts.join('\n\n')}\n`;
}
