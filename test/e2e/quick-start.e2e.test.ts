import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DETECTED_AGENTS } from '../../src/config/default-file.js';
import { stopDaemon, testEnv } from '../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';
import { waitFor } from '../helpers/wait.js';
import { TmuxTerminal, visible } from './tmux.js';

const CHECKOUT = resolve(import.meta.dirname, '../..');

/** The command lines of the README's fenced block after `<!-- quick-start:<name> -->`, comments dropped. */
function quickStart(name: string): string[] {
  const readme = readFileSync(join(CHECKOUT, 'README.md'), 'utf8');
  const block = new RegExp(`<!-- quick-start:${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  if (!block) throw new Error(`README.md has no quick-start:${name} block`);
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

/**
 * A directory standing in for /usr/bin and /bin on a machine where no agent CLI is installed:
 * everything they hold but claude, codex, gemini and aider.
 */
function binWithoutAgents(dir: string): string {
  mkdirSync(dir);
  for (const from of ['/usr/local/bin', '/usr/bin', '/bin']) {
    let names: string[];
    try {
      names = readdirSync(from);
    } catch {
      continue;
    }
    for (const n of names) {
      if ((DETECTED_AGENTS as readonly string[]).includes(n)) continue;
      try {
        if (statSync(join(from, n)).isFile()) symlinkSync(join(from, n), join(dir, n));
      } catch {
        // already linked from an earlier directory, or a dangling link
      }
    }
  }
  return dir;
}

let repo: TempRepo | null = null;
let term: TmuxTerminal | null = null;
let prefix: string | null = null;
afterEach(async ({ task }) => {
  if (term && task.result?.state === 'fail') console.error(`--- last screen ---\n${visible(term.capture())}`);
  term?.kill();
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
  }
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

describe("the README's quick start", () => {
  it('followed literally in a new repository with no agent CLI installed, gets to a running agent', async () => {
    prefix = realpathSync(mkdtempSync(join(tmpdir(), 'muster-prefix-')));
    const bin = binWithoutAgents(join(prefix, 'system-bin'));
    // A fresh machine: npm's global prefix is its own, and no agent CLI is on PATH.
    const PATH = [join(prefix, 'bin'), bin].join(delimiter);
    const env: NodeJS.ProcessEnv = { ...testEnv(), npm_config_prefix: prefix, npm_config_offline: 'true', PATH: `${PATH}${delimiter}${process.env.PATH}` };

    // `npm ci` already ran in this checkout (the suite runs from it); the rest as written.
    const install = quickStart('install');
    expect(install[0]).toBe('npm ci');
    // `npm install -g .` runs the build (`prepare`): a minute or two on a loaded 2-core machine.
    for (const line of install.slice(1)) execFileSync('/bin/sh', ['-c', line], { cwd: CHECKOUT, env, stdio: 'pipe', timeout: 300_000 });
    expect(execFileSync(join(prefix, 'bin', 'muster'), ['--version'], { env, encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);

    repo = createTempRepo('your-project');
    term = TmuxTerminal.start({ cwd: repo.root, cols: 160, rows: 40, env: { PATH, HOME: prefix } });
    await term.waitForPrompt();
    term.run('command -v claude codex gemini aider; echo "agents: $?"');
    await term.waitForText('agents: 1');

    const use = quickStart('use');
    expect(use[0]).toMatch(/^cd /);
    term.run(`cd ${repo.dir}`);
    await term.waitForPrompt();
    for (const line of use.slice(1, -1)) {
      const before = term.capture().split('\n').filter(Boolean).length;
      term.run(line);
      await term.waitForScreen((s) => s.split('\n').filter(Boolean).length > before + 1 && /e2e-shell\$ $/.test(s.trimEnd() + ' '), `"${line}" to finish`);
    }
    const said = term.capture();
    expect(said).toContain('Default agent: shell (a bash session)');
    expect(said).toContain('Added #1 Fix the login redirect');
    expect(said).not.toMatch(/error|unexpected/i);

    // The last line opens the cockpit: the agent's pane, a live bash in the task's worktree.
    expect(use.at(-1)).toBe('muster');
    term.run('muster');
    await term.waitForText(['#1 · Fix the login redirect · shell', /task-1\S*[#$] ?/], { timeout: 30_000 });
    const [dir, installed] = [repo.dir, join(prefix, 'bin', 'muster')];
    const status = () =>
      JSON.parse(execFileSync(installed, ['status', '--json'], { cwd: dir, env, encoding: 'utf8' })) as {
        tasks: { state: string; sessions: { pid: number | null }[] }[];
      };
    expect(status().tasks[0]).toMatchObject({ state: 'running' });
    // The bash prompt on screen comes before the supervisor has recorded the pid, possibly.
    const pid = await waitFor(() => status().tasks[0]!.sessions[0]?.pid, { what: 'the agent pid to be recorded' });
    await waitFor(() => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'bash', { what: 'the agent process to be bash' });
  }, 420_000);
});
