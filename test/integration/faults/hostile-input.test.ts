import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { MusterError } from '../../../src/protocol/errors.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { storedState } from './harness.js';

/**
 * The hostile-input table: inputs an operator, a script or an agent might send by mistake or
 * on purpose. Each refused one must exit with the right code, say what was wrong and where,
 * and leave the store, the audit log, the task files, refs, worktrees and checkout as they were.
 */

const MiB = 1024 * 1024;
// Seven groups of two make 128 alternatives, past the 64 that brace expansion stops at.
const PAST_THE_CAP = `${'{a,b}'.repeat(7)}/{..,x}/secret`;

/** Everything a refused input must leave alone. */
function snapshot(repo: TempRepo): Record<string, unknown> {
  const state = join(repo.dir, '.git', 'muster');
  const files = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, encoding: 'utf8' })
          .filter((f) => statSync(join(dir, f)).isFile())
          .sort()
      : [];
  return {
    // The store as the next supervisor reads it: state.json alone lags behind its journal.
    store: JSON.stringify(storedState(repo.dir)),
    events: existsSync(join(state, 'events.jsonl')) ? readFileSync(join(state, 'events.jsonl'), 'utf8') : '',
    taskFiles: files(join(state, 'tasks')).map((f) => `${f} ${readFileSync(join(state, 'tasks', f), 'utf8').length}`),
    refs: repo.git('for-each-ref', '--format=%(refname) %(objectname)'),
    worktrees: repo.git('worktree', 'list', '--porcelain'),
    checkout: repo.git('status', '--porcelain', '--ignored'),
  };
}

/** What a terminal would obey in human output: every control character but line break and tab. */
function obeyed(text: string): string[] {
  return [...text.matchAll(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g)].map((m) => JSON.stringify(m[0]));
}

interface Outcome {
  exit: number;
  message: string;
}

interface Hostile {
  name: string;
  exit: number;
  message: RegExp;
  run: (ctx: { repo: TempRepo; client: MusterClient; file: (name: string, content: string | Buffer) => string }) => Promise<Outcome>;
}

const cli =
  (...args: string[]): Hostile['run'] =>
  async ({ repo }) => {
    const r = await muster(repo.dir, args);
    return { exit: r.code, message: r.stderr };
  };

const withFile =
  (name: string, content: string | Buffer, args: (path: string) => string[]): Hostile['run'] =>
  async (ctx) =>
    cli(...args(ctx.file(name, content)))(ctx);

/** What the cockpit or a script sends over the socket; a NUL cannot even be put in argv. */
const socket =
  (call: (c: MusterClient) => Promise<unknown>): Hostile['run'] =>
  async ({ client }) => {
    try {
      await call(client);
    } catch (e) {
      if (e instanceof MusterError) return { exit: e.exitCode, message: e.message };
      throw e;
    }
    return { exit: 0, message: 'accepted' };
  };

const REFUSED: Hostile[] = [
  { name: 'a title with a line break', exit: 2, message: /A title is one line of text/, run: cli('task', 'add', 'one\ntwo') },
  { name: 'a title of 201 characters', exit: 2, message: /201 characters long; keep it under 200/, run: cli('task', 'add', 'x'.repeat(201)) },
  { name: 'an empty title', exit: 2, message: /A task needs a title/, run: cli('task', 'add', '   ') },
  {
    name: 'a NUL in a title',
    exit: 2,
    message: /The title contains a NUL byte at byte offset 5/,
    run: socket((c) => c.call('task.add', { title: 'café\0 rm' })),
  },
  {
    name: 'a prompt file with a NUL byte',
    exit: 2,
    message: /The prompt contains a NUL byte at byte offset 6: remove it/,
    run: withFile('nul.md', Buffer.from('before\0after'), (p) => ['task', 'add', 'nul', '--prompt-file', p]),
  },
  {
    name: 'a prompt file over 4 MiB',
    exit: 2,
    message: /The prompt is 4\.0 MiB \(4194305 bytes\); muster takes prompts up to 4\.0 MiB/,
    run: withFile('huge.md', 'a'.repeat(4 * MiB + 1), (p) => ['task', 'add', 'huge', '--prompt-file', p]),
  },
  {
    name: 'a prompt over 4 MiB sent straight to the socket',
    exit: 2,
    message: /The prompt is 4\.0 MiB \(4194305 bytes\)/,
    run: socket((c) => c.call('task.add', { title: 'huge', prompt: 'b'.repeat(4 * MiB + 1) })),
  },
  {
    name: 'both --prompt and --prompt-file',
    exit: 2,
    message: /either --prompt or --prompt-file/,
    run: withFile('p.md', 'x', (p) => ['task', 'add', 'x', '--prompt', 'y', '--prompt-file', p]),
  },
  { name: 'an unknown agent named like a command', exit: 2, message: /Unknown agent "\$\(id\)"/, run: cli('task', 'add', 'x', '--agent', '$(id)') },
  { name: 'a dependency on a task that does not exist', exit: 2, message: /there is no task #99/, run: cli('task', 'add', 'x', '--after', '99') },
  { name: 'an empty --writes pattern', exit: 2, message: /Empty lock pattern/, run: cli('task', 'add', 'x', '--writes', '') },
  { name: '--writes escaping with ..', exit: 2, message: /escapes the repository/, run: cli('task', 'add', 'x', '--writes', '../secrets/**') },
  {
    name: 'an absolute --writes path',
    exit: 2,
    message: /is absolute: give it relative to the repository root/,
    run: cli('task', 'add', 'x', '--writes', '/etc/passwd'),
  },
  {
    name: '--writes with .. hidden past the brace-expansion cap',
    exit: 2,
    message: /".." inside braces, which could escape the repository/,
    run: cli('task', 'add', 'x', '--writes', PAST_THE_CAP),
  },
  {
    name: '--reads with an absolute brace alternative',
    exit: 2,
    message: /absolute path inside braces/,
    run: cli('task', 'add', 'x', '--reads', '{/etc/passwd,src/a}'),
  },
  {
    name: 'a NUL in a --writes pattern',
    exit: 2,
    message: /--writes "src\/\\u0000x": Lock pattern .* NUL byte at byte offset 4/,
    run: socket((c) => c.call('task.add', { title: 'x', writes: ['src/\0x'] })),
  },
  {
    name: 'a NUL in a --reads pattern',
    exit: 2,
    message: /--reads "\\u0000": Lock pattern .* NUL byte at byte offset 0/,
    run: socket((c) => c.call('task.add', { title: 'x', reads: ['\0'] })),
  },
  { name: 'lock acquire of a path outside the repository', exit: 2, message: /escapes the repository/, run: cli('lock', 'acquire', '../../etc/passwd') },
  { name: 'lock acquire with .. past the brace-expansion cap', exit: 2, message: /".." inside braces/, run: cli('lock', 'acquire', PAST_THE_CAP) },
  { name: 'lock acquire of an empty path', exit: 2, message: /empty path names nothing|Empty lock pattern/, run: cli('lock', 'acquire', '') },
  {
    name: 'a NUL in merge feedback',
    exit: 2,
    message: /The feedback \(--reason\) contains a NUL byte at byte offset 4/,
    run: socket((c) => c.call('merge.reject', { id: 1, reason: 'redo\0 it' })),
  },
  {
    name: 'a spec file with a NUL byte',
    exit: 2,
    message: /The spec plan\.md contains a NUL byte at byte offset 30/,
    run: withFile('plan.md', '## Parallel Tracks\n- Track A: \0x (files: src/a/*)\n', (p) => ['task', 'import', p]),
  },
];

describe('the hostile-input table', () => {
  let repo: TempRepo;
  let client: MusterClient;
  beforeAll(async () => {
    repo = createAgentRepo();
    await muster(repo.dir, ['pause']);
    // A task for the refusals to leave alone, with its prompt file.
    await musterJson(repo.dir, ['task', 'add', 'existing', '--prompt', '@stay', '--writes', 'src/**']);
    client = await clientFor(repo.dir);
  });
  afterAll(async () => {
    client?.close();
    await stopDaemon(repo.dir);
    repo.cleanup();
  });

  it.each(REFUSED.map((h) => [h.name, h] as const))('refuses %s: right exit code, says what and where, changes nothing', async (_name, h) => {
    const before = snapshot(repo);
    const out = await h.run({ repo, client, file: (name, content) => (writeFileSync(join(repo.root, name), content), join(repo.root, name)) });
    expect(out.message).toMatch(h.message);
    expect(out.exit).toBe(h.exit);
    expect(snapshot(repo)).toEqual(before);
  });
});

describe('hostile text that is accepted', () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = createAgentRepo();
    await muster(repo.dir, ['pause']);
  });
  afterAll(async () => {
    await stopDaemon(repo.dir);
    repo.cleanup();
  });

  const TITLES = [
    '$(touch pwned-dollar)',
    '`touch pwned-backtick`',
    'a; touch pwned-semicolon #',
    '修复登录 😀 café',
    'evil \x1b]0;pwned\x07 \x1b[31mRED\x1b[0m \u009b2J title',
    'txt.\u202eexe',
    `quotes ' " and a \\ backslash`,
    'x'.repeat(200),
  ];

  it('keeps every title exactly, shows control characters escaped, and never hands text to a shell', async () => {
    const ids: number[] = [];
    for (const title of TITLES) {
      const t = await musterJson<{ id: number; title: string }>(repo.dir, [
        'task',
        'add',
        title,
        '--prompt',
        `$(touch pwned-prompt)\n\`touch pwned-prompt-tick\`\n@exit 0`,
      ]);
      expect(t.title).toBe(title);
      ids.push(t.id);
    }
    // JSON keeps the real text, byte for byte.
    const listed = await musterJson<{ title: string }[]>(repo.dir, ['task', 'list']);
    expect(listed.map((t) => t.title)).toEqual(TITLES);
    expect((await musterJson<{ prompt: string }>(repo.dir, ['task', 'show', String(ids[0])])).prompt).toBe(
      '$(touch pwned-prompt)\n`touch pwned-prompt-tick`\n@exit 0',
    );

    // Human output shows the escapes instead of obeying them.
    for (const args of [['task', 'list'], ['status'], ['task', 'show', String(ids[4])]]) {
      const r = await muster(repo.dir, args);
      expect(r.code, r.stderr).toBe(0);
      expect(obeyed(r.stdout), `muster ${args.join(' ')} wrote control characters`).toEqual([]);
      expect(r.stdout).toContain('evil \\x1b]0;pwned\\x07 \\x1b[31mRED\\x1b[0m \\x9b2J title');
    }
    const cancelled = await muster(repo.dir, ['task', 'cancel', String(ids[5])]);
    expect(cancelled.stdout).toContain('txt.\\u202eexe');
    expect(obeyed(cancelled.stdout)).toEqual([]);

    // Run them: every agent starts from its branch and finishes; no text ran anywhere.
    await muster(repo.dir, ['resume']);
    const client = await clientFor(repo.dir);
    try {
      for (const id of ids.filter((_, i) => i !== 5)) await waitForTask(client, id, inState('review'), 'reaches review', 60_000);
      const merges = await muster(repo.dir, ['merge', 'list']);
      expect(obeyed(merges.stdout)).toEqual([]);
      expect(merges.stdout).toContain('\\x1b]0;pwned\\x07');
    } finally {
      client.close();
    }
    const branches = repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/muster/').trim().split('\n');
    expect(branches).toHaveLength(TITLES.length - 1);
    for (const b of branches) expect(b).toMatch(/^muster\/\d+-[a-z0-9-]{1,40}$/);
    // The branches are named after the titles; a file the text would have made is not there.
    const everywhere = readdirSync(repo.root, { recursive: true, encoding: 'utf8' });
    expect(everywhere.filter((f) => basename(f).startsWith('pwned'))).toEqual([]);
  });
});

describe('a port range past 65535', () => {
  it('is refused with the file, line and a fix, and nothing starts', async () => {
    const repo = createTempRepo();
    try {
      repo.write('.muster/config.yaml', 'agents: {}\nports:\n  base: 65530\n');
      const r = await muster(repo.dir, ['task', 'add', 'x']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /\.muster\/config\.yaml:3 ports\.base: expected a port range that ends by 65535 \(base 65530 \+ slots 32 × block 10 runs to 65849\): lower base to 65216 or less/,
      );
      expect(existsSync(join(repo.dir, '.git', 'muster', 'state.json'))).toBe(false);
    } finally {
      await stopDaemon(repo.dir);
      repo.cleanup();
    }
  });
});
