import { shellWord } from './shell-word.js';

/** Agent CLIs muster knows how to wire up: hooks, its MCP server, the brief, resumable sessions. */
export const AGENT_INTEGRATIONS = ['claude', 'codex', 'gemini'] as const;
export type AgentIntegration = (typeof AGENT_INTEGRATIONS)[number];

/** Hook events `muster hook` understands, whatever the agent CLI calls them. */
export const HOOK_EVENTS = ['pre-edit', 'prompt-submit', 'turn-end', 'notification', 'session-start'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** The integration of a preset: as configured, else by the command's name; false turns it off. */
export function integrationOf(preset: { command: string; integration?: AgentIntegration | false | undefined }): AgentIntegration | null {
  if (preset.integration === false) return null;
  if (preset.integration) return preset.integration;
  const name = preset.command.split('/').pop() ?? '';
  return (AGENT_INTEGRATIONS as readonly string[]).includes(name) ? (name as AgentIntegration) : null;
}

/** Whether an agent of this integration can resume a conversation by id from the command line. */
export function canResume(kind: AgentIntegration | null): boolean {
  return kind !== null;
}

/** Whether the CLI can be handed a session id for a new conversation (else it reports one through a hook). */
export function choosesSessionId(kind: AgentIntegration | null): boolean {
  return kind === 'claude' || kind === 'gemini';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SESSION_WORD = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

/**
 * Why a session id an agent reported cannot be one of its CLI's, or null. The id goes on the
 * command line of the task's next launch, so it must never read as an option or a second word:
 * Claude Code and Gemini CLI name conversations by UUID; anything else is a plain word.
 */
export function sessionIdProblem(kind: AgentIntegration | null, id: string): string | null {
  if (kind === 'claude' || kind === 'gemini') return UUID.test(id) ? null : `a ${kind === 'claude' ? 'Claude Code' : 'Gemini CLI'} session id is a UUID`;
  return SESSION_WORD.test(id) ? null : 'a session id is letters, digits, "-" and "_" (at most 200), starting with a letter or digit';
}

/** What an agent CLI's session directory depends on: the environment the agent runs with. */
export interface SessionEnv {
  HOME?: string | undefined;
  CLAUDE_CONFIG_DIR?: string | undefined;
  CODEX_HOME?: string | undefined;
}

/** The directory an agent CLI keeps its conversations in, or null when it is not known. */
export function sessionDirOf(kind: AgentIntegration | null, env: SessionEnv): string | null {
  const home = env.HOME?.replace(/\/+$/, '');
  switch (kind) {
    case 'claude':
      return env.CLAUDE_CONFIG_DIR ? `${env.CLAUDE_CONFIG_DIR.replace(/\/+$/, '')}/projects` : home ? `${home}/.claude/projects` : null;
    case 'gemini':
      return home ? `${home}/.gemini/tmp` : null;
    case 'codex':
      return env.CODEX_HOME ? `${env.CODEX_HOME.replace(/\/+$/, '')}/sessions` : home ? `${home}/.codex/sessions` : null;
    default:
      return null;
  }
}

/** Why a reported transcript path is not one of the CLI's own session files, or null. */
export function transcriptProblem(kind: AgentIntegration | null, path: string, env: SessionEnv): string | null {
  const dir = sessionDirOf(kind, env);
  if (!dir) return 'where this agent keeps its conversations is not known';
  const inside = path.startsWith(`${dir}/`) && !path.split('/').some((seg) => seg === '..' || seg === '.') && !path.includes('\0');
  return inside ? null : `a transcript lies under ${dir}/`;
}

/** A fresh conversation with this id, or the resumption of one. */
export type SessionPlan = { mode: 'new'; id: string } | { mode: 'resume'; id: string };

export interface IntegrationInput {
  kind: AgentIntegration;
  taskId: number;
  brief: string;
  /** `muster` as an argument vector (the shim on the agent's PATH). */
  muster: readonly string[];
  /** Where the generated settings file goes (Claude Code's `--settings`, Gemini CLI's system defaults). */
  settingsFile: string;
  /** Where the generated MCP configuration goes (Claude Code's `--mcp-config`). */
  mcpConfigFile: string;
  session: SessionPlan | null;
}

/** What an integration adds to a launch: options after the command, environment, files to write first. */
export interface IntegrationPlan {
  args: string[];
  env: Record<string, string>;
  files: { path: string; content: string }[];
}

/** Claude Code's edit tools: a PreToolUse hook on them sees every file write before it happens. */
export const CLAUDE_EDIT_TOOLS = ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'] as const;
const GEMINI_EDIT_TOOLS = ['write_file', 'replace'] as const;

/**
 * The options, environment and files that wire an agent CLI to muster for one launch. Nothing
 * goes into the worktree, the repository or the user's home: files live in the task's state
 * directory and are passed by option or variable, so the user's own settings still apply.
 */
export function integrationPlan(i: IntegrationInput): IntegrationPlan {
  const server = { command: i.muster[0]!, args: [...i.muster.slice(1), 'mcp'], env: { MUSTER_TASK_ID: String(i.taskId) } };
  const hook = (event: HookEvent) => [...i.muster, 'hook', event, '--agent', i.kind].map(shellWord).join(' ');
  switch (i.kind) {
    case 'claude': {
      const settings = {
        // The muster tools never need the operator's permission; everything else is up to the user's settings.
        permissions: { allow: ['mcp__muster__*'] },
        hooks: {
          PreToolUse: [{ matcher: CLAUDE_EDIT_TOOLS.join('|'), hooks: [{ type: 'command', command: hook('pre-edit') }] }],
          UserPromptSubmit: [{ hooks: [{ type: 'command', command: hook('prompt-submit') }] }],
          Stop: [{ hooks: [{ type: 'command', command: hook('turn-end') }] }],
          Notification: [{ hooks: [{ type: 'command', command: hook('notification') }] }],
          SessionStart: [{ hooks: [{ type: 'command', command: hook('session-start') }] }],
        },
      };
      const mcp = { mcpServers: { muster: { type: 'stdio', ...server } } };
      const session = sessionArgs(i.session);
      return {
        // --mcp-config takes several files: an option must follow it, never the prompt.
        args: ['--settings', i.settingsFile, '--mcp-config', i.mcpConfigFile, '--append-system-prompt', i.brief, ...session],
        env: {},
        files: [
          { path: i.settingsFile, content: `${JSON.stringify(settings, null, 2)}\n` },
          { path: i.mcpConfigFile, content: `${JSON.stringify(mcp, null, 2)}\n` },
        ],
      };
    }
    case 'gemini': {
      const settings = {
        mcpServers: { muster: { ...server, trust: true } },
        hooks: {
          BeforeTool: [{ matcher: GEMINI_EDIT_TOOLS.join('|'), hooks: [{ type: 'command', command: hook('pre-edit') }] }],
          BeforeAgent: [{ hooks: [{ type: 'command', command: hook('prompt-submit') }] }],
          AfterAgent: [{ hooks: [{ type: 'command', command: hook('turn-end') }] }],
          Notification: [{ hooks: [{ type: 'command', command: hook('notification') }] }],
          SessionStart: [{ hooks: [{ type: 'command', command: hook('session-start') }] }],
        },
      };
      const session = sessionArgs(i.session);
      // System defaults are the lowest settings layer: the user's and the project's own still win.
      return {
        args: session,
        env: { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: i.settingsFile },
        files: [{ path: i.settingsFile, content: `${JSON.stringify(settings, null, 2)}\n` }],
      };
    }
    case 'codex': {
      // Codex reads no settings file from an option: `-c key=value` overrides (TOML values) do it for one run.
      const overrides = [
        `mcp_servers.muster.command=${tomlString(server.command)}`,
        `mcp_servers.muster.args=${tomlArray(server.args)}`,
        `mcp_servers.muster.env={ MUSTER_TASK_ID = ${tomlString(server.env.MUSTER_TASK_ID)} }`,
        // Codex runs its notify program with the event's JSON as the last argument.
        `notify=${tomlArray([...i.muster, 'hook', 'turn-end', '--agent', 'codex'])}`,
        `developer_instructions=${tomlString(i.brief)}`,
      ];
      const resume = i.session?.mode === 'resume' ? ['resume', i.session.id] : [];
      return { args: [...overrides.flatMap((o) => ['-c', o]), ...resume], env: {}, files: [] };
    }
  }
}

/**
 * `--session-id=<id>` or `--resume=<id>`: one word, so the id can never be taken for the next
 * option (Claude Code's `--resume [value]` takes an optional value and would read a flag).
 */
function sessionArgs(session: SessionPlan | null): string[] {
  return session ? [`${session.mode === 'new' ? '--session-id' : '--resume'}=${session.id}`] : [];
}

// A JSON string literal is a valid TOML basic string (the same escapes, \uXXXX included).
function tomlString(s: string): string {
  return JSON.stringify(s);
}

function tomlArray(xs: readonly string[]): string {
  return `[${xs.map(tomlString).join(', ')}]`;
}
