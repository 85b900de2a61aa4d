import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { BIN, stopDaemon, testEnv } from '../../helpers/cli.js';
import { clientFor, inState, waitForTask } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
let client: MusterClient | null = null;
let mcp: Client | null = null;
afterEach(async () => {
  await mcp?.close();
  mcp = null;
  client?.close();
  client = null;
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

/** Runs `muster hook` as an agent CLI would: the hook JSON on stdin (or as the last argument), in the worktree. */
function hook(cwd: string, args: string[], stdin: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'hook', ...args], { cwd, env: testEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin === undefined ? '' : JSON.stringify(stdin));
  });
}

async function runningTask(title: string, extra: { writes?: string[]; risk?: string } = {}) {
  const t = await client!.call('task.add', { title, prompt: '@wait-input', writes: extra.writes ?? [], risk: extra.risk ?? 'medium' });
  // Its agent started (a pid): the supervisor forgets what a previous run reported when it starts one.
  return waitForTask(
    client!,
    t.id,
    (x) => x.state === 'running' && x.worktree !== null && existsSync(x.worktree) && x.sessions.at(-1)?.pid != null,
    'running, its agent started',
  );
}

describe('muster mcp (the official MCP SDK client against the real server)', () => {
  it('offers the nine tools of the contract and acts for the task of its worktree', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const mine = await runningTask('mcp task', { writes: ['src/**'] });
    const other = await runningTask('other task', { writes: ['docs/**'] });
    mcp = new Client({ name: 'test', version: '1.0.0' });
    await mcp.connect(
      new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], cwd: mine.worktree!, env: testEnv() as Record<string, string> }),
    );
    const tools = (await mcp.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual([
      'context_add',
      'context_read',
      'lock_acquire',
      'lock_check',
      'lock_release',
      'locks_list',
      'report_status',
      'task_done',
      'task_info',
    ]);
    const text = async (name: string, args: Record<string, unknown> = {}) => {
      const r = (await mcp!.callTool({ name, arguments: args })) as { content: { text: string }[]; isError?: boolean };
      return { text: r.content.map((c) => c.text).join(''), isError: r.isError === true };
    };
    expect(await text('lock_acquire', { paths: ['README.md'] })).toMatchObject({ isError: false, text: expect.stringContaining('Granted: README.md (write)') });
    const refused = await text('lock_acquire', { paths: ['docs/guide.md'] });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain(`docs/guide.md overlaps docs/** held by #${other.id} (write)`);
    expect(refused.text).toContain('wait_seconds');
    expect((await text('lock_check', { paths: ['docs/a.md'] })).text).toContain(`held by #${other.id}`);
    expect((await text('locks_list')).text).toContain(`README.md  write  task #${mine.id}`);
    expect((await text('lock_release', { paths: ['README.md'] })).text).toBe('Released: README.md.');
    expect((await text('context_add', { text: 'blocked on the API', section: 'blockers' })).text).toMatch(
      new RegExp(`Added under "## Blockers": - \\[#${mine.id} \\d\\d:\\d\\d\\] blocked on the API`),
    );
    expect((await text('context_read', { section: 'blockers' })).text).toContain('blocked on the API');
    const info = (await text('task_info')).text;
    expect(info).toContain(`Task #${mine.id}: mcp task (running, risk medium)`);
    expect(info).toContain('Declared writes: src/**');
    expect(info).toContain('Locks you hold: src/** (write)');
    expect((await text('report_status', { activity: 'waiting-input', note: 'which API version?' })).text).toContain('waiting-input');
    expect((await client.call('task.show', { id: mine.id })).activity).toBe('waiting-input');
    expect((await text('task_done', { summary: 'did it' })).text).toContain('is in review with your summary');
    expect(await client.call('task.show', { id: mine.id })).toMatchObject({ state: 'review', summary: 'did it' });
  });
});

describe('muster hook (the formats of each agent CLI)', () => {
  it("denies an edit in Claude Code's and Gemini CLI's format, takes an undeclared path's lock, and stays silent when allowed", async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const holder = await runningTask('holder', { writes: ['shared.txt'] });
    const me = await runningTask('editor', { writes: ['src/**'] });
    const wt = me.worktree!;
    const claude = await hook(wt, ['pre-edit'], {
      hook_event_name: 'PreToolUse',
      cwd: wt,
      tool_name: 'Write',
      tool_input: { file_path: join(wt, 'shared.txt') },
    });
    expect(claude.code).toBe(0);
    const out = JSON.parse(claude.stdout);
    expect(out.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain(`shared.txt is write-locked by #${holder.id}`);
    const gemini = await hook(wt, ['pre-edit', '--agent', 'gemini'], {
      hook_event_name: 'BeforeTool',
      cwd: wt,
      tool_name: 'replace',
      tool_input: { file_path: 'shared.txt' },
    });
    expect(JSON.parse(gemini.stdout)).toMatchObject({ decision: 'deny', reason: expect.stringContaining(`write-locked by #${holder.id}`) });
    const elsewhere = await hook(wt, ['pre-edit'], { cwd: wt, tool_name: 'Edit', tool_input: { file_path: join(holder.worktree!, 'src/x.ts') } });
    expect(JSON.parse(elsewhere.stdout).hookSpecificOutput.permissionDecisionReason).toContain(`in the worktree of #${holder.id}`);
    const undeclared = await hook(wt, ['pre-edit'], { cwd: wt, tool_name: 'Write', tool_input: { file_path: join(wt, 'notes/plan.md') } });
    expect(undeclared).toMatchObject({ code: 0, stdout: '' });
    expect((await client.call('lock.list', {})).find((l) => l.resource === 'notes/plan.md')).toMatchObject({
      mode: 'write',
      owner: { task: me.id },
      declared: false,
    });
    expect(
      await hook(wt, ['pre-edit', '--agent', 'gemini'], { cwd: wt, tool_name: 'write_file', tool_input: { file_path: join(wt, 'src/a.ts') } }),
    ).toMatchObject({ code: 0, stdout: '{}\n' });
  });

  it('follows symlinks in the worktree to where the write would land: the main checkout, another worktree, a dangling link', async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const other = await runningTask('other', { writes: ['docs/**'] });
    const me = await runningTask('linker', { writes: ['src/**'] });
    const wt = me.worktree!;
    mkdirSync(join(wt, 'src'), { recursive: true });
    symlinkSync(repo.dir, join(wt, 'src', 'main'));
    symlinkSync(other.worktree!, join(wt, 'src', 'other'));
    symlinkSync(join(repo.dir, 'planted.txt'), join(wt, 'src', 'dangling.txt'));
    const reason = async (file: string) => {
      const r = await hook(wt, ['pre-edit'], { cwd: wt, tool_name: 'Write', tool_input: { file_path: file } });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout ? (JSON.parse(r.stdout).hookSpecificOutput.permissionDecisionReason as string) : null;
    };
    expect(await reason(join(wt, 'src/main/README.md'))).toContain(`${join(repo.dir, 'README.md')} is in the operator's main checkout`);
    expect(await reason('src/other/docs/x.md')).toContain(`is in the worktree of #${other.id}`);
    expect(await reason(join(wt, 'src/dangling.txt'))).toContain(`${join(repo.dir, 'planted.txt')} is in the operator's main checkout`);
    expect(await reason(join(wt, 'src/own.ts'))).toBeNull();
  });

  it("reports status and the session from the lifecycle hooks, and Codex's notify with its JSON as the last argument", async () => {
    repo = createAgentRepo();
    client = await clientFor(repo.dir);
    const me = await runningTask('reports');
    const wt = me.worktree!;
    expect(await hook(wt, ['prompt-submit'], { hook_event_name: 'UserPromptSubmit', prompt: 'go' })).toMatchObject({ code: 0, stdout: '' });
    await waitForTask(client, me.id, (t) => t.activity === 'working' && t.activitySource === 'reported', 'working');
    await hook(wt, ['notification'], { hook_event_name: 'Notification', message: 'Claude needs your permission to use Bash' });
    await waitForTask(client, me.id, (t) => t.activity === 'waiting-input', 'waiting for input');
    await hook(wt, ['session-start'], { hook_event_name: 'SessionStart', session_id: 'sess-1', transcript_path: '/tmp/x.jsonl', source: 'startup' });
    expect((await client.call('task.show', { id: me.id })).session).toBe('sess-1');
    const codex = await hook(
      wt,
      ['turn-end', '--agent', 'codex', JSON.stringify({ type: 'agent-turn-complete', 'thread-id': 'thread-9', 'last-assistant-message': 'ok' })],
      undefined,
    );
    expect(codex.code, codex.stderr).toBe(0);
    const idle = await waitForTask(client, me.id, (t) => t.activity === 'idle', 'idle');
    expect(idle.session).toBe('thread-9');
    expect(idle.idleWithWork).toBe(false);
  });

  it('never blocks the agent on input it cannot read: exit 1 (non-blocking to Claude Code) with the reason on stderr', async () => {
    repo = createAgentRepo();
    const notJson = await hook(repo.dir, ['pre-edit', '--agent', 'claude', 'this is not json'], undefined);
    expect(notJson).toMatchObject({ code: 1, stdout: '' });
    expect(notJson.stderr).toContain('muster hook pre-edit: the hook input is not JSON; it is meant to be run by an agent CLI');
    const unknown = await hook(repo.dir, ['pre-write'], {});
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown hook event "pre-write"');
  });

  it('flags an agent that ends its turn with commits as idle with work; done_on_idle sends it to review with its last message', async () => {
    repo = createAgentRepo({ extra: '' });
    const cfg = readFileSync(join(repo.dir, '.muster/config.yaml'), 'utf8');
    repo.write(
      '.muster/config.yaml',
      cfg.replace(
        'agents:\n',
        `agents:\n  eager: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(join(import.meta.dirname, '../../fixtures/fake-agent.mjs'))}, "{prompt_file}"], done_on_idle: true }\n`,
      ),
    );
    repo.commitAll('eager preset');
    client = await clientFor(repo.dir);
    const prompt = '@write a.txt one\n@commit first\n@wait-input';
    const flagged = await client.call('task.add', { title: 'flagged', prompt });
    const eager = await client.call('task.add', { title: 'eager', prompt, agent: 'eager' });
    const committed = (x: { worktree: string | null; branch: string | null }) => !!x.branch && repo!.git('log', '--format=%s', x.branch).includes('first');
    for (const t of [flagged, eager]) await waitForTask(client, t.id, (x) => x.state === 'running' && committed(x), 'committed');
    const wt = (id: number) => client!.call('task.show', { id }).then((t) => t.worktree!);
    const f = await hook(await wt(flagged.id), ['turn-end'], { hook_event_name: 'Stop', last_assistant_message: 'Wrote a.txt.' });
    expect(f.code, f.stderr).toBe(0);
    const idle = await waitForTask(client, flagged.id, (t) => t.idleWithWork, 'idle with work');
    expect(idle.state).toBe('running');
    expect((await client.call('task.done', { id: flagged.id })).idleWithWork).toBe(false);
    await hook(await wt(eager.id), ['turn-end'], { hook_event_name: 'Stop', last_assistant_message: 'Wrote a.txt and committed it.' });
    expect(await waitForTask(client, eager.id, inState('review'), 'sent to review by done_on_idle')).toMatchObject({
      summary: 'Wrote a.txt and committed it.',
    });
  });
});
