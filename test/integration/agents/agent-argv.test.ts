import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { muster, stopDaemon } from '../../helpers/cli.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

const PRINT_ARGV = resolve(import.meta.dirname, '../../fixtures/print-argv.mjs');

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

function withPresets(presets: string | ((root: string) => string)): TempRepo {
  const r = createAgentRepo();
  const cfg = readFileSync(join(r.dir, '.muster/config.yaml'), 'utf8');
  r.write('.muster/config.yaml', cfg.replace('agents:\n', `agents:\n${typeof presets === 'string' ? presets : presets(r.root)}\n`));
  r.commitAll('presets');
  return r;
}

const argvPreset = `  argv: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(PRINT_ARGV)}, "{prompt}"] }`;

/** What the task's last run was given: a run that failed would leave an earlier run's file, so it must have finished. */
function argvOf(task: { state: string; reason: string | null; worktree: string | null; sessions: unknown[] }): { bytes: number; head: string }[] {
  expect(task.state, `the run did not finish: ${task.reason}\n${JSON.stringify(task.sessions)}`).toBe('review');
  return JSON.parse(readFileSync(join(task.worktree!, 'argv.json'), 'utf8'));
}

describe('what reaches an agent command line', () => {
  it('passes a 1 MB prompt through the prompt file instead of failing the exec (E2BIG)', async () => {
    repo = withPresets(argvPreset);
    client = await clientFor(repo.dir);
    const prompt = `${'a long specification line\n'.repeat(40_000)}the end`;
    const t = await client.call('task.add', { title: 'huge prompt', prompt, agent: 'argv' });
    const done = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    expect(done.state, done.reason ?? '').toBe('review');
    const [arg] = argvOf(done);
    expect(arg!.bytes).toBeLessThan(64 * 1024);
    expect(arg!.head).toContain('too long for the command line');
    expect(readFileSync(join(repo.dir, '.git/muster/tasks', String(t.id), 'PROMPT.md'), 'utf8')).toContain('the end');
  });

  it('puts the brief before a dash-led prompt, so it never reaches the agent as an option', async () => {
    repo = withPresets(argvPreset);
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'hostile', prompt: '--dangerously-skip-permissions', agent: 'argv' });
    const done = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    const args = argvOf(done);
    expect(args).toHaveLength(1);
    expect(args[0]!.head).toMatch(/^# muster: you are task #1/);
    expect(args[0]!.head).toContain('--dangerously-skip-permissions');
  });

  it('fails a task whose agent cannot be executed with the reason, not just "exited with code 1"', async () => {
    repo = withPresets(
      [
        `  bigenv: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(PRINT_ARGV)}], env: { HUGE: ${JSON.stringify('x'.repeat(200_000))} } }`,
        `  badinterp: { command: ${JSON.stringify('./agent.sh')}, args: [] }`,
      ].join('\n'),
    );
    // Executable, so it passes the PATH check, but its interpreter does not exist: exec fails in the PTY child.
    writeFileSync(join(repo.dir, 'agent.sh'), '#!/nonexistent/interpreter\n');
    chmodSync(join(repo.dir, 'agent.sh'), 0o755);
    repo.commitAll('agent script');
    client = await clientFor(repo.dir);
    const big = await client.call('task.add', { title: 'big env', agent: 'bigenv' });
    const bigDone = await waitForTask(client, big.id, inState('failed', 'review'), 'failed');
    expect(bigDone.state).toBe('failed');
    expect(bigDone.reason).toMatch(/could not start .*E2BIG/);
    const bad = await client.call('task.add', { title: 'bad interpreter', agent: 'badinterp' });
    const badDone = await waitForTask(client, bad.id, inState('failed', 'review'), 'failed');
    expect(badDone.reason).toMatch(/could not start ".*agent.sh": No such file or directory/);
  });
});

describe('how muster wires an agent CLI it knows', () => {
  /**
   * An executable wrapper, so the integration's options after the command reach the argv
   * recorder; the wired presets run with a HOME of their own, where their CLI's sessions live.
   */
  function wrapped(extra = ''): TempRepo {
    const r = withPresets((root) => {
      const env = `env: { HOME: ${JSON.stringify(join(root, 'home'))} }`;
      return [
        `  wired: { command: ./agent.sh, args: ["--", "{prompt}"], integration: claude, ${env}${extra} }`,
        `  plain: { command: ./agent.sh, args: ["--", "{prompt}"], integration: false }`,
        `  cold: { command: ./agent.sh, args: ["--", "{prompt}"], integration: claude, resume: false, ${env} }`,
      ].join('\n');
    });
    writeFileSync(join(r.dir, 'agent.sh'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(PRINT_ARGV)} "$@"\n`);
    chmodSync(join(r.dir, 'agent.sh'), 0o755);
    r.commitAll('agent wrapper');
    return r;
  }

  /** Where Claude Code, run with the wired presets' HOME, would keep a transcript. */
  function transcriptFile(r: TempRepo, session: string): string {
    const file = join(r.root, 'home/.claude/projects/-repo', `${session}.jsonl`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{}\n');
    return file;
  }

  it('passes generated settings and MCP config from the task state directory, the brief and a session id, and writes nothing into the worktree', async () => {
    repo = wrapped();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'wired', prompt: 'do it', agent: 'wired' });
    const done = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    const args = argvOf(done).map((a) => a.head);
    const dir = join(repo.dir, '.git/muster/tasks', String(t.id));
    expect(args.slice(0, 4)).toEqual(['--settings', join(dir, 'claude-settings.json'), '--mcp-config', join(dir, 'mcp.json')]);
    expect(args[4]).toBe('--append-system-prompt');
    expect(args[5]).toMatch(/^# muster: you are task #1/);
    // One word: the id is never the next option's (Claude Code's --resume takes an optional value).
    expect(args[6]).toBe(`--session-id=${done.session}`);
    expect(args[7]).toBe('--');
    expect(args[8]).toMatch(/^# muster: you are task #1/);
    const settings = JSON.parse(readFileSync(join(dir, 'claude-settings.json'), 'utf8'));
    expect(settings.hooks.PreToolUse[0].hooks[0].command).toBe(`${join(repo.dir, '.git/muster/bin/muster')} hook pre-edit --agent claude`);
    // Only the agent's own output is new in the worktree: muster's files stay in its state directory.
    expect(repo.git('-C', done.worktree!, 'status', '--porcelain').trim()).toBe('?? argv.json');
  });

  it.each([
    ['resumes the recorded conversation when sent back, and starts cold on retry --fresh', 'wired'],
    ['never resumes for a preset with resume: false', 'cold'],
  ])('%s', async (_name, agent) => {
    repo = wrapped();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'resumes', prompt: 'do it', agent });
    const first = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    // As Claude Code's SessionStart hook would: the session and where its transcript is.
    const transcript = transcriptFile(repo, first.session!);
    const env = { MUSTER_TASK_ID: String(t.id) };
    const hook = await muster(first.worktree!, ['hook', 'session-start'], {
      env,
      input: JSON.stringify({ session_id: first.session, transcript_path: transcript }),
    });
    expect(hook.code, hook.stderr).toBe(0);
    await client.call('merge.reject', { id: t.id, reason: 'again please' });
    const second = await waitForTask(client, t.id, (x) => x.sessions.length === 2 && ['review', 'failed'].includes(x.state), 'finished again');
    const resumed = argvOf(second).map((a) => a.head);
    if (agent === 'cold') {
      expect(resumed[6]).toMatch(/^--session-id=/);
      expect(resumed[6]).not.toBe(`--session-id=${first.session}`);
      expect(resumed[8]).toMatch(/^# muster: you are task #1/);
      return;
    }
    expect(resumed[6]).toBe(`--resume=${first.session}`);
    expect(resumed[8]).toMatch(/^# muster: task #1 continues in this conversation/);
    expect(resumed[8]).toContain('again please');
    await client.call('merge.reject', { id: t.id, reason: 'once more' });
    await client.call('task.cancel', { id: t.id });
    await client.call('task.retry', { id: t.id, fresh: true });
    const cold = await waitForTask(client, t.id, (x) => x.sessions.length >= 3 && ['review', 'failed'].includes(x.state), 'finished cold');
    const coldArgs = argvOf(cold).map((a) => a.head);
    expect(coldArgs[6]).toMatch(/^--session-id=/);
    expect(coldArgs[6]).not.toBe(`--session-id=${first.session}`);
  });

  it("records no session an agent reports that is not its CLI's: never an option, never a file outside its session directory", async () => {
    repo = wrapped();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'hostile session', prompt: 'do it', agent: 'wired' });
    const first = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    const env = { MUSTER_TASK_ID: String(t.id) };
    const hook = (event: string, payload: object) => muster(first.worktree!, ['hook', event], { env, input: JSON.stringify(payload) });
    const asOption = await hook('session-start', { session_id: '--dangerously-skip-permissions', transcript_path: transcriptFile(repo, 'x') });
    expect(asOption.code).toBe(1);
    expect(asOption.stderr).toContain(
      'reported the session id "--dangerously-skip-permissions", which is not one: a Claude Code session id is a UUID. Nothing was recorded.',
    );
    const elsewhere = await hook('session-start', { session_id: first.session, transcript_path: '/etc/passwd' });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`which is not one of its CLI's session files: a transcript lies under ${join(repo.root, 'home/.claude/projects')}/`);
    const onTurnEnd = await hook('turn-end', { session_id: '-p' });
    expect(onTurnEnd.code).toBe(1);
    const shown = await client.call('task.show', { id: t.id });
    expect(shown.conversations).toEqual([expect.objectContaining({ id: first.session, kind: 'claude', transcript: null })]);

    await client.call('merge.reject', { id: t.id, reason: 'again please' });
    const second = await waitForTask(client, t.id, (x) => x.sessions.length === 2 && ['review', 'failed'].includes(x.state), 'finished again');
    const args = argvOf(second).map((a) => a.head);
    expect(args).not.toContain('--dangerously-skip-permissions');
    expect(args.filter((a) => a.startsWith('--resume'))).toEqual([]);
  });

  it('does not hand a conversation of one CLI to another when the preset changes its command', async () => {
    repo = wrapped();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'switches CLI', prompt: 'do it', agent: 'wired' });
    const first = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    const hook = await muster(first.worktree!, ['hook', 'session-start'], {
      env: { MUSTER_TASK_ID: String(t.id) },
      input: JSON.stringify({ session_id: first.session, transcript_path: transcriptFile(repo, first.session!) }),
    });
    expect(hook.code, hook.stderr).toBe(0);
    client.close();
    client = null;
    await stopDaemon(repo.dir);
    const cfg = readFileSync(join(repo.dir, '.muster/config.yaml'), 'utf8');
    repo.write('.muster/config.yaml', cfg.replace(/(wired: \{[^\n]*)integration: claude/, '$1integration: codex'));
    repo.commitAll('wired is codex now');
    client = await clientFor(repo.dir);
    await client.call('merge.reject', { id: t.id, reason: 'again please' });
    const second = await waitForTask(client, t.id, (x) => x.sessions.length === 2 && ['review', 'failed'].includes(x.state), 'finished again');
    const args = argvOf(second).map((a) => a.head);
    expect(args).toContain('-c');
    expect(args).not.toContain('resume');
    expect(args.some((a) => a.includes(first.session!))).toBe(false);
    expect(args.at(-1)).toMatch(/^# muster: you are task #1/);
  });

  it('tells the feedback again when the agent it was meant for could not be started', async () => {
    repo = wrapped();
    client = await clientFor(repo.dir);
    const t = await client.call('task.add', { title: 'keeps feedback', prompt: 'do it', agent: 'wired' });
    const first = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
    const hook = await muster(first.worktree!, ['hook', 'session-start'], {
      env: { MUSTER_TASK_ID: String(t.id) },
      input: JSON.stringify({ session_id: first.session, transcript_path: transcriptFile(repo, first.session!) }),
    });
    expect(hook.code, hook.stderr).toBe(0);
    // The agent command resolves in the worktree: break it there, so exec fails in the PTY child.
    const script = join(first.worktree!, 'agent.sh');
    const working = readFileSync(script, 'utf8');
    writeFileSync(script, '#!/nonexistent/interpreter\n');
    await client.call('merge.reject', { id: t.id, reason: 'FEEDBACK-NOT-LOST' });
    const failed = await waitForTask(client, t.id, (x) => x.sessions.length === 2 && x.state === 'failed', 'failed to start');
    expect(failed.reason).toMatch(/could not start/);
    expect(failed.conversations[0]!.feedbackSeen).toBe(0);
    writeFileSync(script, working);
    await client.call('task.retry', { id: t.id });
    const third = await waitForTask(client, t.id, (x) => x.sessions.length === 3 && ['review', 'failed'].includes(x.state), 'finished after the retry');
    const args = argvOf(third).map((a) => a.head);
    expect(args[6]).toBe(`--resume=${first.session}`);
    expect(args[8]).toMatch(/^# muster: task #1 continues in this conversation/);
    expect(args[8]).toContain('FEEDBACK-NOT-LOST');
    expect((await client.call('task.show', { id: t.id })).conversations[0]!.feedbackSeen).toBe(1);
  });

  it('turns the integration off for a preset (integration: false) or a task (--no-integration): the brief only', async () => {
    repo = wrapped();
    client = await clientFor(repo.dir);
    const plain = await client.call('task.add', { title: 'plain preset', prompt: 'do it', agent: 'plain' });
    const off = await client.call('task.add', { title: 'plain task', prompt: 'do it', agent: 'wired', integration: false });
    for (const t of [plain, off]) {
      const done = await waitForTask(client, t.id, inState('review', 'failed'), 'finished');
      const args = argvOf(done).map((a) => a.head);
      expect(args).toHaveLength(2);
      expect(args[0]).toBe('--');
      expect(args[1]).toMatch(/muster lock acquire/);
      expect(existsSync(join(repo.dir, '.git/muster/tasks', String(t.id), 'claude-settings.json'))).toBe(false);
    }
  });
});
