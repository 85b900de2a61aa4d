import { describe, expect, it } from 'vitest';
import { parseSpecImport, trackPrompt, trackTaskTitle, type SpecImport } from '../../../src/core/spec-import.js';

const EXAMPLE = [
  '# Checkout rewrite',
  '',
  '## Parallel Tracks',
  '- Track A: API endpoints (files: src/api/*)',
  '- Track B: Database models (files: src/models/*, src/db/schema.ts)',
  '## Shared Resources (locked during parallel phase)',
  '- src/types/index.ts',
].join('\n');

function parsed(markdown: string): SpecImport {
  const r = parseSpecImport(markdown);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function refusal(markdown: string): string {
  const r = parseSpecImport(markdown);
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.value)}`);
  expect(r.error.kind).toBe('bad-input');
  return r.error.message;
}

const tracksOf = (markdown: string) => parsed(markdown).tracks.map(({ label, title, files }) => ({ label, title, files }));

describe('parseSpecImport', () => {
  it('reads the example of the product spec', () => {
    expect(parsed(EXAMPLE)).toEqual({
      tracks: [
        { label: 'Track A', title: 'API endpoints', files: ['src/api/*'], note: '', line: 4 },
        { label: 'Track B', title: 'Database models', files: ['src/models/*', 'src/db/schema.ts'], note: '', line: 5 },
      ],
      shared: [{ path: 'src/types/index.ts', line: 7 }],
    });
  });

  it('accepts other heading levels, capitalisation, extra words, list markers and CRLF', () => {
    const spec = [
      'Intro text',
      '### parallel tracks (phase 1)   ',
      '* Track A: API endpoints (file: `src/api/*`)',
      '+ Track B: Models (FILES:src/models/,`src/db/schema.ts` ,  src/db/{a,b}.ts)',
      '1. **Track C**: Docs (files: docs/)',
      '2) [ ] Track D - front-end: pages (files: web/*)',
      '## Shared resources',
      '* `src/types/index.ts` (the shared types)',
      '- src/config.ts, src/env.ts — read by everyone',
    ].join('\r\n');
    const result = parsed(spec);
    expect(result.tracks.map(({ label, title, files, line }) => ({ label, title, files, line }))).toEqual([
      { label: 'Track A', title: 'API endpoints', files: ['src/api/*'], line: 3 },
      { label: 'Track B', title: 'Models', files: ['src/models/**', 'src/db/schema.ts', 'src/db/{a,b}.ts'], line: 4 },
      { label: 'Track C', title: 'Docs', files: ['docs/**'], line: 5 },
      { label: 'Track D', title: 'front-end: pages', files: ['web/*'], line: 6 },
    ]);
    expect(result.shared).toEqual([
      { path: 'src/types/index.ts', line: 8 },
      { path: 'src/config.ts', line: 9 },
      { path: 'src/env.ts', line: 9 },
    ]);
  });

  it('joins wrapped lines, keeps text after the files list as a note, and ignores nested items', () => {
    const spec = [
      '## Parallel Tracks',
      '- Track A: API endpoints',
      '  (files: src/api/*, `src/api/my file.ts`) — needs Track B first.',
      '  - details for the agent',
      '- API docs (files: docs/api.md, docs/api.md)',
    ].join('\n');
    expect(parsed(spec).tracks).toEqual([
      { label: 'Track A', title: 'API endpoints', files: ['src/api/*', 'src/api/my file.ts'], note: 'needs Track B first', line: 2 },
      { label: 'API docs', title: 'API docs', files: ['docs/api.md'], note: '', line: 5 },
    ]);
  });

  it('reads only the sections it knows and skips examples in fenced code', () => {
    const spec = [
      '```markdown',
      '## Parallel Tracks',
      '- Track X: example (files: nowhere/*)',
      '```',
      '## Parallel Tracks',
      'Each track gets its own agent.',
      '',
      '- Track A: API (files: src/api/*)',
      '#### Notes on Track A',
      '- Track B: Models (files: src/models/*)',
      '## Risks',
      '- Track C: not a track (files: x)',
      '~~~',
      '## Shared Resources',
      '~~~',
    ].join('\n');
    expect(tracksOf(spec).map((t) => t.label)).toEqual(['Track A', 'Track B']);
    expect(parsed(spec).shared).toEqual([]);
  });

  it('refuses a spec without a Parallel Tracks section', () => {
    expect(refusal('# Spec\n## Tracks\n- Track A: x (files: a)\n')).toBe(
      'The spec has no "## Parallel Tracks" section: add one with a line per track, e.g. "- Track A: API endpoints (files: src/api/*)".',
    );
  });

  it('refuses a Parallel Tracks section without tracks', () => {
    expect(refusal('## Parallel Tracks\nTo be decided.\n')).toBe(
      'line 1: the Parallel Tracks section lists no tracks; add one line per track, e.g. "- Track A: API endpoints (files: src/api/*)".',
    );
  });

  it('refuses a track without a files list, saying where and what to add', () => {
    expect(refusal('## Parallel Tracks\n- Track A: API (files: src/api/*)\n- Track B: Database models\n')).toBe(
      'line 3: Track B has no (files: ...) list; add the paths it will change, e.g. (files: src/models/*).',
    );
  });

  it.each([
    ['- Track A: API (files: )', 'line 2: Track A has an empty (files: ...) list; add the paths it will change'],
    ['- Track A: API (files: , ,)', 'line 2: Track A has an empty (files: ...) list'],
    ['- Track A: API (files: src/api/*', 'line 2: the (files: ...) list of Track A is not closed; end it with ")"'],
    ['- Track A: API (files: /etc/passwd)', 'line 2: in the files of Track A: Lock pattern "/etc/passwd" is absolute'],
    ['- Track A: API (files: src/../../x)', 'line 2: in the files of Track A: Lock pattern "src/../../x" escapes the repository'],
    ['- Track A: API (files: src/a.ts src/b.ts)', 'line 2: in the files of Track A, "src/a.ts src/b.ts" has a space in it; separate paths with commas'],
    ['- Track A: API (files: `src/a.ts)', 'line 2: the (files: ...) list of Track A is not closed'],
    ['- (files: src/a.ts)', 'line 2: this track has no name; write it as "- Track A: API endpoints (files: src/api/*)"'],
  ])('refuses %j', (line, message) => {
    expect(refusal(`## Parallel Tracks\n${line}\n`)).toContain(message);
  });

  it('refuses a shared resource that normalizeResource refuses', () => {
    expect(refusal('## Parallel Tracks\n- Track A: API (files: src/api/*)\n## Shared Resources\n- ../outside.ts\n')).toContain(
      'line 4: in Shared Resources: Lock pattern "../outside.ts" escapes the repository',
    );
  });

  it('refuses duplicate track labels, whatever their case', () => {
    expect(refusal('## Parallel Tracks\n- Track A: API (files: a)\n- track a: Models (files: b)\n')).toBe(
      'line 3: track a is listed twice (first on line 2); give each track its own label.',
    );
  });

  it('refuses a track that writes a shared resource, which stays locked for the whole phase', () => {
    expect(refusal('## Parallel Tracks\n- Track A: API (files: src/**)\n## Shared Resources\n- src/types/index.ts\n')).toBe(
      'line 2: Track A would change src/types/index.ts (its files include src/**), but line 4 makes src/types/index.ts a shared resource, ' +
        'read-locked while the tracks run; take it out of the files of Track A or out of Shared Resources.',
    );
  });

  it('reports every problem at once, in line order', () => {
    const message = refusal('## Parallel Tracks\n- Track A: API\n- Track B: Models (files: )\n- Track A: again (files: x)\n');
    expect(message.split('\n')).toEqual([
      '3 problems in the spec:',
      'line 2: Track A has no (files: ...) list; add the paths it will change, e.g. (files: src/models/*).',
      'line 3: Track B has an empty (files: ...) list; add the paths it will change, e.g. (files: src/models/*).',
      'line 4: Track A is listed twice (first on line 2); give each track its own label.',
    ]);
  });
});

describe('trackTaskTitle and trackPrompt', () => {
  const spec = parsed(EXAMPLE);
  const [a, b] = spec.tracks;

  it('titles the task with the description alone', () => {
    expect(trackTaskTitle(a!)).toBe('API endpoints');
    expect(trackTaskTitle(parsed('## Parallel Tracks\n- API docs (files: docs/*)').tracks[0]!)).toBe('API docs');
  });

  it('names the track, its files, the shared resources, the other tracks and the spec', () => {
    const prompt = trackPrompt(b!, 'SPEC.md', spec);
    expect(prompt).toContain('Implement Track B (Database models) of SPEC.md. Read SPEC.md first');
    expect(prompt).toContain('Files you may change (locked for you):\n- src/models/*\n- src/db/schema.ts\n');
    expect(prompt).toContain('read them, do not change them:\n- src/types/index.ts\n');
    expect(prompt).toContain('- Track A: API endpoints (src/api/*)');
    expect(prompt).not.toContain('- Track B:');
    expect(prompt).toContain('muster context add --section blockers');
  });

  it('leaves out the sections that have nothing to say', () => {
    const lone = parsed('## Parallel Tracks\n- Docs (files: docs/*) — keep it short');
    const prompt = trackPrompt(lone.tracks[0]!, 'plan.md', lone);
    expect(prompt).toContain('Implement Docs of plan.md.');
    expect(prompt).toContain('The spec adds: keep it short');
    expect(prompt).not.toContain('Shared resources');
    expect(prompt).not.toContain('Other tracks');
  });
});
