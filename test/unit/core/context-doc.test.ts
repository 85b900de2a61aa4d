import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendEntry,
  blockerEntries,
  blockerKey,
  DEFAULT_CONTEXT_DOC,
  entriesByAuthor,
  formatEntry,
  parseContextDoc,
  resolveSection,
  type ContextEntry,
} from '../../../src/core/context-doc.js';

const headingsOf = (doc: string): string[] => parseContextDoc(doc).sections.map((s) => s.heading);
const entryOf = (author: string, time: string, text: string): string => {
  const r = formatEntry(author, time, text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const strip = ({ author, time, text, raw }: ContextEntry) => ({ author, time, text, raw });

/** Asserts that `after` is `before` with exactly `inserted` spliced in somewhere, plus at most the newline `before` lacked at its end. */
function expectOnlyInserted(before: string, after: string, inserted: string): void {
  const allowed = [before, `${before}\n`, `${before}\r\n`];
  const rests: string[] = [];
  for (let at = after.indexOf(inserted); at >= 0; at = after.indexOf(inserted, at + 1)) rests.push(after.slice(0, at) + after.slice(at + inserted.length));
  expect(rests.find((rest) => allowed.includes(rest)) ?? rests).toBeOneOf(allowed);
}

describe('resolveSection', () => {
  const defaults = headingsOf(DEFAULT_CONTEXT_DOC);
  it.each([
    ['patterns', defaults, 'Discovered Patterns'],
    ['pattern', defaults, 'Discovered Patterns'],
    ['discovered', defaults, 'Discovered Patterns'],
    ['decisions', defaults, 'Decisions Made'],
    ['Decision', defaults, 'Decisions Made'],
    ['BLOCKERS', defaults, 'Blockers'],
    ['blocker', [], 'Blockers'],
    ['  blockers  ', defaults, 'Blockers'],
    ['decisions made', defaults, 'Decisions Made'],
    ['block', defaults, 'Blockers'],
    ['disc', [], 'Discovered Patterns'],
    ['open questions', defaults, 'Open Questions'],
    ['api   notes', defaults, 'Api Notes'],
    ['API notes', defaults, 'API Notes'],
    ['notes', [...defaults, 'Release notes', 'Notes for reviewers'], 'Notes for reviewers'],
    ['release', [...defaults, 'Release notes'], 'Release notes'],
    ['decisions', ['Decisions'], 'Decisions'],
    ['blockers', ['blockers'], 'blockers'],
    ['constructor', defaults, 'Constructor'],
  ])('maps %j with headings %j to %j', (name, headings, expected) => {
    expect(resolveSection(name, headings)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'Empty section name'],
    ['   ', 'Empty section name'],
    ['two\nlines', 'line break'],
    ['## Blockers', '"#"'],
    ['a\u0007b', 'control character'],
  ])('refuses %j', (name, message) => {
    const r = resolveSection(name, []);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('bad-input');
      expect(r.error.message).toContain(message);
    }
  });

  it('refuses a prefix that fits several sections instead of inventing one', () => {
    const r = resolveSection('de', ['Decisions Made', 'Design notes']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('Decisions Made, Design notes');
  });
});

describe('formatEntry', () => {
  it('tags the text with author and time', () => {
    expect(formatEntry('#3', '12:04', 'Use zod everywhere  ')).toEqual({ ok: true, value: '- [#3 12:04] Use zod everywhere' });
  });

  it('indents further lines under the bullet and drops empty lines at the ends', () => {
    expect(formatEntry('operator', '09:30', '\n  first\r\n\n## not a heading\n  - nested   \n\n')).toEqual({
      ok: true,
      value: '- [operator 09:30] first\n\n  ## not a heading\n    - nested',
    });
  });

  it.each([
    ['#3', '12:04', '  \n \t '],
    ['#3', '12:4', 'text'],
    ['#3]', '12:04', 'text'],
    ['', '12:04', 'text'],
  ])('refuses author %j time %j text %j', (author, time, text) => {
    const r = formatEntry(author, time, text);
    expect(r.ok ? null : r.error.kind).toBe('bad-input');
  });
});

describe('parseContextDoc', () => {
  it('reads a hand-edited file', () => {
    const doc = [
      'Notes someone put above the title',
      '- a bullet before any section',
      '# Shared context',
      '##  discovered patterns   ',
      '- [#3 12:04] Tests live next to the code',
      '  and use vitest',
      '',
      '    including the slow ones',
      '* hand-written, no tag',
      'lazily continued',
      '',
      'A paragraph, not an entry.',
      '- [WIP] a tag that is not an author',
      '- [operator] no time',
      '1. [alice 7:05] numbered',
      '  - nested note',
      '##Blockers ##',
      '- [#12 23:59] waiting on the schema',
    ].join('\r\n');
    const { sections } = parseContextDoc(doc);
    expect(sections.map((s) => [s.heading, s.line])).toEqual([
      ['discovered patterns', 4],
      ['Blockers', 17],
    ]);
    expect(sections[0]!.entries.map(({ author, time, text, line }) => ({ author, time, text, line }))).toEqual([
      { author: '#3', time: '12:04', text: 'Tests live next to the code\nand use vitest\n\n  including the slow ones', line: 5 },
      { author: null, time: null, text: 'hand-written, no tag\nlazily continued', line: 9 },
      { author: null, time: null, text: '[WIP] a tag that is not an author', line: 13 },
      { author: 'operator', time: null, text: 'no time', line: 14 },
      { author: 'alice', time: '7:05', text: 'numbered\n- nested note', line: 15 },
    ]);
    expect(sections[0]!.entries[0]!.raw).toBe('- [#3 12:04] Tests live next to the code\n  and use vitest\n\n    including the slow ones');
    expect(sections[1]!.entries.map((e) => e.text)).toEqual(['waiting on the schema']);
  });

  it('reads the default document as three empty sections', () => {
    expect(parseContextDoc(DEFAULT_CONTEXT_DOC).sections).toEqual([
      { heading: 'Discovered Patterns', line: 5, entries: [] },
      { heading: 'Decisions Made', line: 7, entries: [] },
      { heading: 'Blockers', line: 9, entries: [] },
    ]);
    expect(DEFAULT_CONTEXT_DOC).toContain('muster context add --section decisions "text"');
  });
});

describe('appendEntry', () => {
  const entry = '- [#3 12:04] new';

  it.each(['Discovered Patterns', 'Decisions Made', 'Blockers'])('appends to %s of the default document and changes nothing else', (heading) => {
    const after = appendEntry(DEFAULT_CONTEXT_DOC, heading, entry);
    expectOnlyInserted(DEFAULT_CONTEXT_DOC, after, `${entry}\n`);
    const section = parseContextDoc(after).sections.find((s) => s.heading === heading);
    expect(section?.entries.map((e) => e.raw)).toEqual([entry]);
  });

  it('appends after the last entry, before the blank lines leading to the next heading', () => {
    const doc = '## Decisions Made\n- [#1 10:00] one\n* by hand\n  continued\n\n\n## Blockers\n- [#2 10:01] stuck\n';
    const after = appendEntry(doc, 'decisions made', entry);
    expect(after).toBe('## Decisions Made\n- [#1 10:00] one\n* by hand\n  continued\n- [#3 12:04] new\n\n\n## Blockers\n- [#2 10:01] stuck\n');
  });

  it('appends after prose that follows the entries', () => {
    const doc = '## Blockers\n- [#2 10:01] stuck\n\nSee the issue tracker.\n';
    expect(appendEntry(doc, 'Blockers', entry)).toBe(`${doc}${entry}\n`);
  });

  it('adds a missing section at the end, after a blank line', () => {
    const doc = '## Blockers\n- [#2 10:01] stuck\n';
    const after = appendEntry(doc, 'Open Questions', entry);
    expect(after).toBe(`${doc}\n## Open Questions\n${entry}\n`);
    expect(appendEntry(`${doc}\n`, 'Open Questions', entry)).toBe(`${doc}\n## Open Questions\n${entry}\n`);
  });

  it('writes the default document when the file is empty', () => {
    for (const empty of ['', '\n', '  \r\n']) {
      expect(appendEntry(empty, 'Blockers', entry)).toBe(`${DEFAULT_CONTEXT_DOC}${entry}\n`);
    }
  });

  it('keeps CRLF line endings and adds the missing final newline', () => {
    const doc = '# Shared context\r\n\r\n## Blockers\r\n- [#2 10:01] stuck';
    const multi = entryOf('#3', '12:04', 'two\nlines');
    const after = appendEntry(doc, 'Blockers', multi);
    expect(after).toBe(`${doc}\r\n- [#3 12:04] two\r\n  lines\r\n`);
    expectOnlyInserted(doc, after, '- [#3 12:04] two\r\n  lines\r\n');
    expect(appendEntry(doc, 'Decisions', entry)).toBe(`${doc}\r\n\r\n## Decisions\r\n${entry}\r\n`);
  });

  it('appends into a section in the middle of a CRLF file without a final newline', () => {
    const doc = '## Decisions Made   \r\n\r\n- by hand\r\n\r\n## Blockers\r\n- [#2 10:01] stuck';
    const after = appendEntry(doc, 'Decisions Made', entry);
    expect(after).toBe('## Decisions Made   \r\n\r\n- by hand\r\n- [#3 12:04] new\r\n\r\n## Blockers\r\n- [#2 10:01] stuck');
    expectOnlyInserted(doc, after, `${entry}\r\n`);
  });
});

describe('blockers and authors', () => {
  const doc = [
    '## Decisions Made',
    '- [#3 12:00] chose zod',
    '## blockers',
    '- [#3 12:04] schema missing',
    '- [operator 12:10] do not merge #4',
    '* hand-written blocker',
  ].join('\n');

  it('lists the blocker entries', () => {
    expect(blockerEntries(doc).map((e) => e.text)).toEqual(['schema missing', 'do not merge #4', 'hand-written blocker']);
  });

  it('keeps a blocker key when the file is edited around and under it', () => {
    const keys = blockerEntries(doc).map(blockerKey);
    expect(new Set(keys).size).toBe(3);
    const edited = appendEntry(`Intro\n\n${doc.replace('- [#3 12:04] schema missing', '*   [#3 12:04]   schema   missing  ')}`, 'Blockers', '- [#5 13:00] new');
    expect(blockerEntries(edited).map(blockerKey)).toEqual([...keys, blockerKey(blockerEntries(edited)[3]!)]);
  });

  it('finds the entries of one task in every section', () => {
    expect(entriesByAuthor(doc, '#3').map((m) => [m.heading, m.entry.text])).toEqual([
      ['Decisions Made', 'chose zod'],
      ['blockers', 'schema missing'],
    ]);
    expect(entriesByAuthor(doc, '3')).toHaveLength(2);
    expect(entriesByAuthor(doc, 'Operator').map((m) => m.entry.text)).toEqual(['do not merge #4']);
    expect(entriesByAuthor(doc, '#30')).toEqual([]);
  });
});

describe('appendEntry (property)', () => {
  const eol = fc.constantFrom('\n', '\r\n');
  const sectionLine = fc.constantFrom('- [#2 10:00] known', '* by hand', '- [operator 08:00] two\n  lines', 'prose', '', '### sub', '  indented');
  const heading = fc.tuple(fc.constantFrom('Discovered Patterns', 'Decisions Made', 'Blockers', 'Notes'), fc.boolean(), fc.constantFrom('', '  '));
  const original = fc
    .record({
      preamble: fc.array(fc.constantFrom('# Shared context', 'intro', '', '- stray'), { maxLength: 3 }),
      sections: fc.uniqueArray(fc.tuple(heading, fc.array(sectionLine, { maxLength: 5 })), { maxLength: 4, selector: ([[h]]) => h }),
      eol,
      final: fc.boolean(),
    })
    .map(({ preamble, sections, eol, final }) => {
      const lines = [...preamble, ...sections.flatMap(([[h, lower, pad], body]) => [`## ${lower ? h.toLowerCase() : h}${pad}`, ...body])];
      const text = lines.join('\n').split('\n').join(eol);
      return final && text !== '' ? text + eol : text;
    });
  const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', '\r', '#', '-', '[', ']', '*', '1', '.'), maxLength: 20 });
  const append = fc.record({
    section: fc.constantFrom('patterns', 'decisions', 'blockers', 'notes', 'Open Questions'),
    author: fc.constantFrom('#1', '#7', 'operator'),
    text: text.filter((t) => t.trim() !== ''),
  });

  const normalized = (t: string): string => {
    const lines = t.split(/\r\n|\r|\n/).map((l) => l.trimEnd());
    while (lines[0] === '') lines.shift();
    while (lines.at(-1) === '') lines.pop();
    lines[0] = lines[0]!.trimStart();
    return lines.join('\n');
  };

  it('yields exactly the appended entries, under their sections, in order, after the untouched originals', () => {
    fc.assert(
      fc.property(original, fc.array(append, { maxLength: 8 }), (doc, appends) => {
        const expected = new Map<string, { author: string; text: string }[]>();
        let current = doc;
        appends.forEach(({ section, author, text }, i) => {
          const resolved = resolveSection(section, headingsOf(current));
          if (!resolved.ok) throw new Error(resolved.error.message);
          const time = `${String(10 + i).padStart(2, '0')}:00`;
          const entry = entryOf(author, time, text);
          const base = current.trim() === '' ? DEFAULT_CONTEXT_DOC : current;
          const next = appendEntry(current, resolved.value, entry);
          const eol = /\r\n|\n/.exec(base)?.[0] ?? '\n';
          if (headingsOf(base).some((h) => h.trim().toLowerCase() === resolved.value.toLowerCase())) {
            expectOnlyInserted(base, next, entry.split('\n').join(eol) + eol);
          } else expect(next.startsWith(base)).toBe(true);
          current = next;
          const key = resolved.value.toLowerCase();
          expected.set(key, [...(expected.get(key) ?? []), { author, text: normalized(text) }]);
        });
        const before = parseContextDoc(doc.trim() === '' && appends.length > 0 ? DEFAULT_CONTEXT_DOC : doc).sections;
        const after = parseContextDoc(current).sections;
        expect(after.length).toBe(before.length + [...expected.keys()].filter((k) => !before.some((s) => s.heading.trim().toLowerCase() === k)).length);
        let total = 0;
        for (const section of after) {
          const old = before.find((s) => s.heading === section.heading)?.entries ?? [];
          const added = expected.get(section.heading.toLowerCase()) ?? [];
          expect(section.entries.slice(0, old.length).map(strip)).toEqual(old.map(strip));
          expect(section.entries.slice(old.length).map((e) => ({ author: e.author, text: e.text }))).toEqual(added);
          total += section.entries.length - old.length;
        }
        expect(total).toBe(appends.length);
      }),
      { numRuns: 300 },
    );
  });
});
