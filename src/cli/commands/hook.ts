import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AGENT_INTEGRATIONS, HOOK_EVENTS, type AgentIntegration, type HookEvent } from '../../core/agent-integration.js';
import { EXIT, MusterError } from '../../protocol/errors.js';
import { withClient } from '../session.js';

type Payload = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The hook's JSON: Codex passes it as the last argument, Claude Code and Gemini CLI on stdin. */
async function readPayload(arg: string | undefined): Promise<Payload> {
  let text = arg;
  if (text === undefined) {
    if (process.stdin.isTTY) return {};
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Payload) : {};
  } catch {
    throw new MusterError('bad-input', 'the hook input is not JSON; it is meant to be run by an agent CLI (see the README, "Agent integrations").');
  }
}

/** The file an edit tool is about to write, from its input. */
export function editedPath(p: Payload): string | null {
  const input = (p.tool_input ?? p.toolInput) as Payload | undefined;
  const path = str(input?.file_path) ?? str(input?.notebook_path) ?? str(input?.path) ?? str(input?.absolute_path);
  return path ? resolve(str(p.cwd) ?? process.cwd(), path) : null;
}

/** The hook's answer on stdout, in the format of the agent CLI that ran it. */
export function denyOutput(agent: AgentIntegration, reason: string): string {
  if (agent === 'gemini') return JSON.stringify({ decision: 'deny', reason });
  return JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } });
}

async function run(event: HookEvent, agent: AgentIntegration, p: Payload): Promise<string> {
  // Gemini CLI parses stdout as JSON after every hook; Claude Code adds a UserPromptSubmit hook's stdout to the prompt.
  const quiet = agent === 'gemini' ? '{}' : '';
  switch (event) {
    case 'pre-edit': {
      const path = editedPath(p);
      if (!path) return quiet;
      const r = await withClient((c) => c.call('agent.pre-edit', { path, tools: 'mcp' }));
      return r.allow ? quiet : denyOutput(agent, r.reason ?? 'muster refused this edit.');
    }
    case 'prompt-submit':
      await withClient((c) => c.call('agent.status', { status: 'working' }));
      return quiet;
    case 'notification':
      await withClient((c) => c.call('agent.status', { status: 'waiting-input', note: str(p.message) }));
      return quiet;
    case 'session-start': {
      const id = str(p.session_id);
      if (id) await withClient((c) => c.call('agent.session', { id, transcript: str(p.transcript_path) ?? null }));
      return quiet;
    }
    case 'turn-end': {
      const message = str(p.last_assistant_message) ?? str(p['last-assistant-message']) ?? str(p.prompt_response);
      const session = str(p['thread-id']) ?? str(p.thread_id) ?? str(p.session_id);
      await withClient((c) => c.call('agent.turn-ended', { message, session }));
      return quiet;
    }
  }
}

/**
 * `muster hook <event>`: run by an agent CLI's hooks (muster wires them for the claude, codex
 * and gemini presets). A hook never blocks the agent when muster cannot answer: it warns on
 * stderr and exits 1, which the CLIs treat as a non-blocking error; the commit guard still
 * refuses commits of locked paths.
 */
export function registerHookCommand(program: Command): void {
  program
    .command('hook')
    .description('answer an agent CLI hook: pre-edit denies edits of paths another task write-locks; the others report status and the session')
    .argument('<event>', HOOK_EVENTS.join(' | '))
    .argument('[payload]', 'the hook JSON, when the CLI passes it as an argument (Codex notify); else read from stdin')
    .option('--agent <cli>', `the CLI that runs the hook: ${AGENT_INTEGRATIONS.join(', ')}`, 'claude')
    .action(async (event: string, payload: string | undefined, o: { agent: string }) => {
      // Even bad input exits 1: to Claude Code exit 2 means "block this tool call".
      try {
        if (!(HOOK_EVENTS as readonly string[]).includes(event))
          throw new MusterError('bad-input', `Unknown hook event "${event}": use one of ${HOOK_EVENTS.join(', ')}.`);
        if (!(AGENT_INTEGRATIONS as readonly string[]).includes(o.agent))
          throw new MusterError('bad-input', `Unknown --agent "${o.agent}": use one of ${AGENT_INTEGRATIONS.join(', ')}.`);
        const out = await run(event as HookEvent, o.agent as AgentIntegration, await readPayload(payload));
        if (out) process.stdout.write(`${out}\n`);
      } catch (e) {
        process.stderr.write(`muster hook ${event}: ${(e as Error).message} (the agent goes on; the commit guard still checks locks)\n`);
        process.exitCode = EXIT.failure;
      }
    });
}
