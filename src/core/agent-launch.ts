import { portEnvName } from './port-slots.js';
import type { PortBlock, Task } from './task.js';

/** What an agent preset says to run; the config layer validates it. */
export interface AgentSpec {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
}

/**
 * Longest prompt passed as an argument, in UTF-8 bytes. Linux refuses a single argument of
 * 128 KiB or more (E2BIG, `MAX_ARG_STRLEN`), and the whole vector with the environment shares
 * ARG_MAX: half of the per-argument limit leaves room for both.
 */
export const MAX_PROMPT_ARG_BYTES = 64 * 1024;

/** What `{prompt}` carries instead of a prompt that cannot go on the command line. */
export function promptPointer(promptFile: string, why: 'long' | 'dash'): string {
  const reason = why === 'long' ? 'Your instructions are too long for the command line' : 'Your instructions begin with a dash and would be read as an option';
  return `${reason}; they are in ${promptFile}. Read that file first, then do what it says.`;
}

export interface ArgvOptions {
  /** Options an agent integration adds, placed right after the command, before the preset's own arguments. */
  prefix?: readonly string[];
  maxPromptBytes?: number;
}

/**
 * The argument vector of an agent: the integration's options, then the preset's arguments with
 * `{prompt}` and `{prompt_file}` substituted inside each. The vector is passed to exec
 * directly, so nothing in a prompt reaches a shell. A prompt never reaches the agent as an
 * option: an argument that is the whole `{prompt}` and would start with "-" gets a pointer to
 * the prompt file instead, unless an earlier "--" ended the options. A prompt too long for the
 * command line is replaced by the same pointer: the prompt file always holds all of it.
 */
export function agentArgv(spec: AgentSpec, prompt: string, promptFile: string, opts: ArgvOptions = {}): string[] {
  const fits = utf8Length(prompt) <= (opts.maxPromptBytes ?? MAX_PROMPT_ARG_BYTES);
  const text = fits ? prompt : promptPointer(promptFile, 'long');
  const out: string[] = [spec.command, ...(opts.prefix ?? [])];
  for (const a of spec.args) {
    if (a === '{prompt}' && text.startsWith('-') && !out.includes('--')) {
      out.push(promptPointer(promptFile, 'dash'));
      continue;
    }
    out.push(a.replaceAll('{prompt_file}', promptFile).replaceAll('{prompt}', text));
  }
  return out;
}

/** Bytes of a string in UTF-8, without Buffer (the core runs anywhere). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Linux's limits on what exec accepts: one string, and the whole vector with the environment. */
const MAX_ARG_STRLEN = 128 * 1024;
const ARG_MAX_BUDGET = 2 * 1024 * 1024 - 64 * 1024;

/**
 * Why exec would refuse this vector and environment with E2BIG, or null when it fits. Checked
 * before spawning: a PTY child that fails to exec only prints to its terminal and exits 1.
 */
export function execTooBig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): string | null {
  const strings = [
    ...argv,
    ...Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`),
  ];
  const longest = strings.reduce((m, s) => Math.max(m, utf8Length(s) + 1), 0);
  if (longest > MAX_ARG_STRLEN) return `one argument or variable is ${longest} bytes, more than the ${MAX_ARG_STRLEN} exec accepts (E2BIG)`;
  const total = strings.reduce((sum, s) => sum + utf8Length(s) + 1 + 8, 8);
  if (total > ARG_MAX_BUDGET) return `the arguments and environment take ${total} bytes, more than the ${ARG_MAX_BUDGET} exec accepts (E2BIG)`;
  return null;
}

/** The reason a PTY child printed when it could not exec its program (node-pty's child reports it so), or null. */
export function execFailure(screen: string): string | null {
  const m = /execvp\(3\) failed\.: ([^\r\n]+)/.exec(screen);
  return m ? m[1]!.trim() : null;
}

export interface AgentEnvInput {
  taskId: number;
  mainRoot: string;
  contextFile: string;
  promptFile: string;
  ports: PortBlock | null;
  presetEnv: Readonly<Record<string, string>>;
}

/** The variables of spec §5 that every agent session gets, preset env last. */
export function agentEnv(input: AgentEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    MUSTER_TASK_ID: String(input.taskId),
    MUSTER_ROOT: input.mainRoot,
    MUSTER_CONTEXT: input.contextFile,
    MUSTER_PROMPT_FILE: input.promptFile,
  };
  if (input.ports) {
    env.PORT = String(input.ports.base);
    env.MUSTER_PORT_BASE = String(input.ports.base);
    env.MUSTER_PORTS = `${input.ports.base}-${input.ports.last}`;
    for (const [name, port] of Object.entries(input.ports.named)) env[portEnvName(name)] = String(port);
  }
  return { ...env, ...input.presetEnv };
}

/**
 * PROMPT.md, and what `{prompt}` carries on a fresh start: the swarm brief, an optional
 * hand-off note, the task's prompt, then any operator feedback.
 */
export function promptDocument(
  task: Pick<Task, 'id' | 'title' | 'feedback'> & { prompt: string },
  handoff: string | null,
  brief: string | null = null,
): string {
  const parts: string[] = [];
  if (brief) parts.push(brief.trimEnd(), '# Your task');
  if (handoff) parts.push(handoff.trimEnd());
  parts.push(task.prompt.trimEnd());
  if (task.feedback.length) {
    parts.push(`## Feedback from the operator\n\n${task.feedback.map((f, i) => `${i + 1}. ${f}`).join('\n')}`);
  }
  return `${parts.join('\n\n')}\n`;
}

export interface HandoffInput {
  taskId: number;
  fromAgent: string;
  toAgent: string;
  diffStat: string;
  commits: string;
  contextEntries: readonly string[];
}

/** The note a reassigned task's new agent reads before its prompt. */
export function handoffNote(h: HandoffInput): string {
  const block = (s: string) => (s.trim() ? `\`\`\`\n${s.trimEnd()}\n\`\`\`` : '(none)');
  return [
    `# Hand-off: task #${h.taskId} moves from ${h.fromAgent} to ${h.toAgent}`,
    'You continue work another agent started in this worktree and branch. Read its work before changing anything.',
    `## Commits so far\n\n${block(h.commits)}`,
    `## Changes so far (diff stat, committed and uncommitted)\n\n${block(h.diffStat)}`,
    `## This task's shared-context entries\n\n${h.contextEntries.length ? h.contextEntries.join('\n') : '(none)'}`,
    '## The task',
  ].join('\n\n');
}
