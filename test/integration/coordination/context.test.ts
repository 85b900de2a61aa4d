import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseContextDoc } from '../../../src/core/context-doc.js';
import { BIN, muster, musterJson, stopDaemon, testEnv } from '../../helpers/cli.js';
import { clientFor } from '../../helpers/supervisor.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo;

/** A repository whose supervisor runs with dispatch paused, set up from this process (the CLI is what the tests run). */
async function pausedRepo(): Promise<TempRepo> {
  const r = createTempRepo();
  const client = await clientFor(r.dir);
  try {
    await client.call('dispatch.pause', {});
  } finally {
    client.close();
  }
  return r;
}

async function dropRepo(r: TempRepo): Promise<void> {
  await stopDaemon(r.dir);
  r.cleanup();
}

let fresh: TempRepo | null = null;
afterEach(async () => {
  if (fresh) await dropRepo(fresh);
  fresh = null;
});

/** A repository and a supervisor for this test alone. */
async function freshRepo(): Promise<void> {
  fresh = repo = await pausedRepo();
}

/**
 * The tests that refuse bad input share one supervisor (a start and a stop per test were most
 * of their time): each asserts that its refusal changed nothing, which is all they ask of it.
 */
let quiet: Promise<TempRepo> | null = null;
afterAll(async () => {
  if (quiet) await dropRepo(await quiet);
});
async function quietRepo(): Promise<void> {
  repo = await (quiet ??= pausedRepo());
}

const contextFile = () => join(repo.dir, '.git', 'muster', 'shared-context.md');
const readContext = () => (existsSync(contextFile()) ? readFileSync(contextFile(), 'utf8') : null);

describe('shared context', () => {
  it('keeps all 160 entries of 16 processes x 10 concurrent adds, each under its section', async () => {
    await freshRepo();
    const sections = ['patterns', 'decisions', 'blockers', 'notes'];
    const script = `for i in $(seq 1 10); do
  s=$(( (i + $1) % 4 ))
  case $s in 0) sec=patterns;; 1) sec=decisions;; 2) sec=blockers;; 3) sec=notes;; esac
  "${process.execPath}" "${BIN}" context add "p$1 e$i in $sec" --section $sec >/dev/null || exit 1
done`;
    const codes = await Promise.all(
      Array.from(
        { length: 16 },
        (_, p) =>
          new Promise<number>((resolve) =>
            spawn('bash', ['-c', script, 'x', String(p)], { cwd: repo.dir, env: testEnv(), stdio: 'ignore' }).on('close', (c) => resolve(c ?? -1)),
          ),
      ),
    );
    expect(codes).toEqual(Array(16).fill(0));
    const doc = parseContextDoc(readFileSync(contextFile(), 'utf8'));
    const headings = { patterns: 'Discovered Patterns', decisions: 'Decisions Made', blockers: 'Blockers', notes: 'Notes' } as const;
    let total = 0;
    for (const s of sections) {
      const section = doc.sections.find((x) => x.heading === headings[s as keyof typeof headings]);
      expect(section, `section for ${s}`).toBeDefined();
      for (const e of section!.entries) expect(e.text).toMatch(new RegExp(` in ${s}$`));
      total += section!.entries.length;
    }
    expect(total).toBe(160);
    for (let p = 0; p < 16; p++) for (let i = 1; i <= 10; i++) expect(readFileSync(contextFile(), 'utf8')).toContain(`p${p} e${i} in `);
  }, 180_000);

  it('writes "- [#id HH:MM] text" for a task and counts a new blocker until acknowledged', async () => {
    await freshRepo();
    await musterJson(repo.dir, ['task', 'add', 'writer']);
    const r = await musterJson<{ section: string; entry: string }>(repo.dir, ['context', 'add', 'the API is down', '--section', 'blockers', '--task', '1']);
    expect(r.section).toBe('Blockers');
    expect(r.entry).toMatch(/^- \[#1 \d\d:\d\d\] the API is down$/);
    expect((await musterJson<{ blockers: { unread: number } }>(repo.dir, ['status'])).blockers.unread).toBe(1);
    await muster(repo.dir, ['context', 'ack']);
    expect((await musterJson<{ blockers: { unread: number } }>(repo.dir, ['status'])).blockers.unread).toBe(0);
  });

  it('sees direct edits of the file', async () => {
    await freshRepo();
    await muster(repo.dir, ['status']);
    appendFileSync(contextFile(), '- [#7 10:00] hand-written blocker\n');
    await waitFor(async () => (await musterJson<{ blockers: { unread: number } }>(repo.dir, ['status'])).blockers.unread === 1, {
      what: 'the watcher to see the edit',
    });
    const shown = await musterJson<{ blockers: { text: string }[] }>(repo.dir, ['context', 'show', '--section', 'blockers']);
    expect(shown.blockers.map((b) => b.text)).toEqual(['hand-written blocker']);
  });

  it('refuses an empty text or a bad section name with exit 2', async () => {
    await quietRepo();
    const before = readContext();
    expect((await muster(repo.dir, ['context', 'add', '   '])).code).toBe(2);
    const bad = await muster(repo.dir, ['context', 'add', 'x', '--section', '## x']);
    expect(bad.code).toBe(2);
    expect(readContext()).toBe(before);
  });
});

describe('muster task import', () => {
  const spec = `# Plan
## Parallel Tracks
- Track A: API endpoints (files: src/api/*)
- Track B: Database models (files: src/models/*, src/db/schema.ts)
## Shared Resources (locked during parallel phase)
- src/types/index.ts
`;

  it('creates one task per track with its files as writes, and read-locks the shared resources', async () => {
    await freshRepo();
    writeFileSync(join(repo.root, 'SPEC.md'), spec);
    const r = await musterJson<{
      tasks: { id: number; title: string; writes: string[]; risk: string }[];
      locks: { resource: string; mode: string; owner: { pid: number } }[];
    }>(repo.dir, ['task', 'import', join(repo.root, 'SPEC.md')]);
    expect(r.tasks.map((t) => [t.title, t.writes, t.risk])).toEqual([
      ['API endpoints', ['src/api/*'], 'medium'],
      ['Database models', ['src/models/*', 'src/db/schema.ts'], 'medium'],
    ]);
    expect(r.locks).toEqual([expect.objectContaining({ resource: 'src/types/index.ts', mode: 'read', owner: { pid: 0 } })]);
    const denied = await muster(repo.dir, ['lock', 'acquire', 'src/types/index.ts', '--task', '1', '--json']);
    expect(denied.code).toBe(3);
    expect(JSON.parse(denied.stdout).conflicts[0].detail).toContain('src/types/index.ts held by the operator (import #1 of SPEC.md) (read)');
    const prompt = (await musterJson<{ prompt: string }>(repo.dir, ['task', 'show', '1'])).prompt;
    expect(prompt).toContain('src/api/*');
    expect(prompt).toContain('src/types/index.ts');
  });

  it.each([
    ['a track without files', '## Parallel Tracks\n- Track A: API\n', /line 2: Track A has no \(files: \.\.\.\) list/],
    ['no tracks section', '# Just a title\n', /Parallel Tracks/],
    ['a path outside the repository', '## Parallel Tracks\n- Track A: x (files: ../etc/*)\n', /line 2/],
  ])('refuses %s with exit 2 and creates nothing', async (_name, text, message) => {
    await quietRepo();
    writeFileSync(join(repo.root, 'BAD.md'), text);
    const r = await muster(repo.dir, ['task', 'import', join(repo.root, 'BAD.md')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(await musterJson<unknown[]>(repo.dir, ['task', 'list'])).toEqual([]);
  });

  it('refuses a missing file with exit 2', async () => {
    await quietRepo();
    const r = await muster(repo.dir, ['task', 'import', 'missing.md']);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('missing.md: cannot read it (ENOENT)') });
  });
});
