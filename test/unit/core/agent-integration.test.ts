import { describe, expect, it } from 'vitest';
import {
  integrationOf,
  integrationPlan,
  sessionDirOf,
  sessionIdProblem,
  transcriptProblem,
  type IntegrationInput,
} from '../../../src/core/agent-integration.js';

const base: Omit<IntegrationInput, 'kind'> = {
  taskId: 7,
  brief: '# muster: you are task #7\nline "two"',
  muster: ['/repo/.git/muster/bin/muster'],
  settingsFile: '/repo/.git/muster/tasks/7/settings.json',
  mcpConfigFile: '/repo/.git/muster/tasks/7/mcp.json',
  session: { mode: 'new', id: '0c7e3c2a-0000-4000-8000-000000000007' },
};

describe('integrationOf', () => {
  it('follows the preset, else the command name, and is off when the preset says false', () => {
    expect(integrationOf({ command: '/usr/local/bin/claude' })).toBe('claude');
    expect(integrationOf({ command: 'codex' })).toBe('codex');
    expect(integrationOf({ command: 'aider' })).toBe(null);
    expect(integrationOf({ command: 'my-claude-wrapper', integration: 'claude' })).toBe('claude');
    expect(integrationOf({ command: 'claude', integration: false })).toBe(null);
  });
});

describe('integrationPlan', () => {
  it('wires Claude Code through files in the task state directory: settings with hooks, MCP config, the brief, the session', () => {
    const p = integrationPlan({ ...base, kind: 'claude' });
    expect(p.args).toEqual([
      '--settings',
      base.settingsFile,
      '--mcp-config',
      base.mcpConfigFile,
      '--append-system-prompt',
      base.brief,
      `--session-id=${base.session!.id}`,
    ]);
    const settings = JSON.parse(p.files.find((f) => f.path === base.settingsFile)!.content);
    expect(settings.permissions.allow).toEqual(['mcp__muster__*']);
    expect(settings.hooks.PreToolUse[0].matcher).toBe('Write|Edit|MultiEdit|NotebookEdit');
    expect(settings.hooks.PreToolUse[0].hooks[0].command).toBe('/repo/.git/muster/bin/muster hook pre-edit --agent claude');
    expect(Object.keys(settings.hooks)).toEqual(['PreToolUse', 'UserPromptSubmit', 'Stop', 'Notification', 'SessionStart']);
    const mcp = JSON.parse(p.files.find((f) => f.path === base.mcpConfigFile)!.content);
    expect(mcp.mcpServers.muster).toEqual({ type: 'stdio', command: base.muster[0], args: ['mcp'], env: { MUSTER_TASK_ID: '7' } });
    expect(integrationPlan({ ...base, kind: 'claude', session: { mode: 'resume', id: base.session!.id } }).args.slice(-1)).toEqual([
      `--resume=${base.session!.id}`,
    ]);
  });

  it('never leaves the variadic --mcp-config last, where it would swallow the prompt', () => {
    const args = integrationPlan({ ...base, kind: 'claude', session: null }).args;
    expect(args.indexOf('--mcp-config')).toBeLessThan(args.length - 2);
  });

  it('wires Gemini CLI through its lowest settings layer (system defaults) and its session options', () => {
    const p = integrationPlan({ ...base, kind: 'gemini' });
    expect(p.env).toEqual({ GEMINI_CLI_SYSTEM_DEFAULTS_PATH: base.settingsFile });
    expect(p.args).toEqual([`--session-id=${base.session!.id}`]);
    const s = JSON.parse(p.files[0]!.content);
    expect(s.mcpServers.muster).toMatchObject({ command: base.muster[0], args: ['mcp'], trust: true });
    expect(s.hooks.BeforeTool[0]).toMatchObject({ matcher: 'write_file|replace' });
    expect(s.hooks.AfterAgent[0].hooks[0].command).toBe('/repo/.git/muster/bin/muster hook turn-end --agent gemini');
  });

  it('wires Codex with -c overrides (TOML values) and resumes with its resume subcommand', () => {
    const p = integrationPlan({ ...base, kind: 'codex', session: { mode: 'resume', id: 'th-1' } });
    expect(p.files).toEqual([]);
    const overrides = p.args.filter((_, i) => p.args[i - 1] === '-c');
    expect(overrides).toContain('mcp_servers.muster.command="/repo/.git/muster/bin/muster"');
    expect(overrides).toContain('mcp_servers.muster.args=["mcp"]');
    expect(overrides).toContain('notify=["/repo/.git/muster/bin/muster", "hook", "turn-end", "--agent", "codex"]');
    expect(overrides).toContain('developer_instructions="# muster: you are task #7\\nline \\"two\\""');
    expect(p.args.slice(-2)).toEqual(['resume', 'th-1']);
  });
});

describe('session ids and transcripts an agent reports', () => {
  it('takes only UUIDs from Claude Code and Gemini CLI, and plain words from others: never an option', () => {
    expect(sessionIdProblem('claude', '0c7e3c2a-0000-4000-8000-000000000007')).toBeNull();
    expect(sessionIdProblem('gemini', '0C7E3C2A-0000-4000-8000-000000000007')).toBeNull();
    for (const id of ['--dangerously-skip-permissions', '-p', 'abc', '0c7e3c2a-0000-4000-8000-000000000007 --x', '']) {
      expect(sessionIdProblem('claude', id), id).toMatch(/UUID/);
    }
    expect(sessionIdProblem('codex', 'th_1-a')).toBeNull();
    expect(sessionIdProblem(null, '0199a213-81c0-7800-8aa1-bbab2a035a53')).toBeNull();
    for (const id of ['-c', '--yolo', 'a b', 'a=b', 'x;rm', '_x', 'x'.repeat(201), '']) expect(sessionIdProblem('codex', id), id).not.toBeNull();
  });

  it("takes a transcript only under the CLI's own session directory of the home the agent runs with", () => {
    expect(sessionDirOf('claude', { HOME: '/home/a/' })).toBe('/home/a/.claude/projects');
    expect(sessionDirOf('claude', { HOME: '/home/a', CLAUDE_CONFIG_DIR: '/cfg' })).toBe('/cfg/projects');
    expect(sessionDirOf('gemini', { HOME: '/home/a' })).toBe('/home/a/.gemini/tmp');
    expect(sessionDirOf('codex', { HOME: '/home/a', CODEX_HOME: '/c' })).toBe('/c/sessions');
    expect(sessionDirOf(null, { HOME: '/home/a' })).toBeNull();
    expect(transcriptProblem('claude', '/home/a/.claude/projects/-repo/0c7e.jsonl', { HOME: '/home/a' })).toBeNull();
    for (const path of [
      '/etc/passwd',
      '/home/a/.claude/projects/../../../etc/passwd',
      '/home/a/.claude/projects',
      '/home/a/.claude/projectsX/a.jsonl',
      'rel/a.jsonl',
    ]) {
      expect(transcriptProblem('claude', path, { HOME: '/home/a' }), path).toMatch(/under \/home\/a\/\.claude\/projects\//);
    }
    expect(transcriptProblem('claude', '/home/a/.claude/projects/a.jsonl', {})).toMatch(/not known/);
  });
});
