import { portEnvName } from './port-slots.js';
import type { PortBlock, Task } from './task.js';

/** What an agent preset says to run; the config layer validates it. */
export interface AgentSpec {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
}

/**
 * The argument vector of an agent: `{prompt}` and `{prompt_file}` substituted inside each
 * argument. The vector is passed to exec directly, so nothing in a prompt reaches a shell.
 */
export function agentArgv(spec: AgentSpec, prompt: string, promptFile: string): string[] {
  return [spec.command, ...spec.args.map((a) => a.replaceAll('{prompt_file}', promptFile).replaceAll('{prompt}', prompt))];
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

/** PROMPT.md: the task's prompt, then any operator feedback, after an optional hand-off note. */
export function promptDocument(task: Pick<Task, 'id' | 'title' | 'prompt' | 'feedback'>, handoff: string | null): string {
  const parts: string[] = [];
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
