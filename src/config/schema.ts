import { z } from 'zod';

const posInt = (what = 'a positive integer') => z.number({ error: what }).int({ error: what }).positive({ error: what });
const port = z.number({ error: 'a port number from 1024 to 65535' }).int({ error: 'a port number from 1024 to 65535' }).min(1024, { error: 'a port number from 1024 to 65535' }).max(65535, { error: 'a port number from 1024 to 65535' });
const text = (what: string) => z.string({ error: what }).min(1, { error: what });
const stringList = (what: string) => z.array(z.string({ error: what }), { error: `a list of ${what}s` });

export const agentPresetSchema = z
  .object({
    command: text('a command name or path').describe('Program to run; looked up on PATH.'),
    args: stringList('argument').default([]).describe('Argument vector; {prompt} and {prompt_file} are substituted. Never run through a shell.'),
    env: z.record(z.string(), z.string({ error: 'a string value' }), { error: 'a map of NAME: value' }).default({}).describe('Extra environment variables for this agent.'),
    waiting_patterns: stringList('regular expression').default([]).describe('Regular expressions that, on the last screen lines, mean the agent waits for input.'),
  })
  .strict();

export type AgentPreset = z.infer<typeof agentPresetSchema>;

/** Presets that exist without any configuration; a config entry of the same name replaces one. */
export const BUILTIN_AGENTS: Record<string, z.input<typeof agentPresetSchema>> = {
  claude: { command: 'claude', args: ['{prompt}'], waiting_patterns: ['Do you want to', '❯ 1\\. Yes', 'esc to interrupt\\)?$'] },
  codex: { command: 'codex', args: ['{prompt}'], waiting_patterns: ['Allow command\\?', 'approve'] },
  aider: { command: 'aider', args: ['--message-file', '{prompt_file}'], waiting_patterns: ['\\(Y\\)es/\\(N\\)o', '^> $'] },
  gemini: { command: 'gemini', args: ['--prompt-interactive', '{prompt}'], waiting_patterns: ['Allow execution', 'Waiting for user confirmation'] },
  shell: { command: 'bash', args: [] },
};

export const configSchema = z
  .object({
    agents: z.record(z.string(), agentPresetSchema, { error: 'a map of agent name to preset' }).default({}).describe('Agent presets, merged over the built-in claude, codex, aider, gemini and shell.'),
    default_agent: text('an agent name').default('claude').describe('Agent used when a task names none.'),
    parallel: z
      .object({ max_workers: posInt().default(4).describe('Agents that run at once.') })
      .strict()
      .prefault({}),
    worktrees: z
      .object({
        dir: text('a directory path').default('../{repo}.worktrees').describe('Where task worktrees go, relative to the main worktree; {repo} is its name.'),
        setup: stringList('shell command').default([]).describe('Shell commands run in a new worktree before the agent starts.'),
        copy: stringList('path').default([]).describe('Untracked files copied from the main worktree into a new one.'),
      })
      .strict()
      .prefault({}),
    ports: z
      .object({
        base: port.default(20000).describe('First port of slot 0; keep it below the ephemeral range.'),
        block: posInt().default(10).describe('Ports per task: slot k gets [base + k*block, base + (k+1)*block).'),
        slots: posInt().default(32).describe('Number of slots; muster never hands out a port past base + slots*block.'),
        names: stringList('port name').default([]).describe('Named ports, exported as MUSTER_PORT_<NAME> in order within the slot.'),
      })
      .strict()
      .prefault({}),
    merge: z
      .object({
        target: text('a branch name').optional().describe('Branch that tasks merge into; default: the branch checked out in the main worktree.'),
        strategy: z.enum(['merge', 'rebase', 'squash'], { error: 'one of merge, rebase, squash' }).default('merge').describe('merge (--no-ff), rebase (then fast-forward) or squash.'),
      })
      .strict()
      .prefault({}),
    quality_gates: z
      .array(
        z
          .object({
            name: text('a gate name').describe('Shown in results and messages.'),
            run: text('a shell command').describe('Run through the shell in the integration worktree; exit 0 passes.'),
            timeout: posInt('a positive number of seconds').default(1800).describe('Seconds before the gate is stopped and counted as failed.'),
          })
          .strict(),
        { error: 'a list of { name, run } gates' },
      )
      .default([])
      .describe('Shell commands run on the merged result before the target moves; all must pass.'),
    keys: z.record(z.string(), z.string({ error: 'a key such as "ctrl+]"' }), { error: 'a map of action id to key' }).default({}).describe('Overrides of the default key map, e.g. detach: "ctrl+]".'),
    context: z
      .object({
        file: text('a file path').optional().describe('The shared context file; default <git-common-dir>/muster/shared-context.md.'),
      })
      .strict()
      .prefault({}),
    terminal: z
      .object({
        scrollback: posInt().default(10000).describe('Lines of scrollback kept per agent.'),
        log_max_bytes: posInt().default(5 * 1024 * 1024).describe('Size at which an agent terminal log is rotated.'),
        log_keep: posInt().default(3).describe('Rotated logs kept per task.'),
        stop_grace_seconds: posInt().default(5).describe('Seconds between SIGTERM and SIGKILL when an agent is stopped.'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type MusterConfig = z.infer<typeof configSchema>;

/** The configured agents, built-ins included. */
export function agentPresets(config: MusterConfig): Record<string, AgentPreset> {
  const out: Record<string, AgentPreset> = {};
  for (const [name, preset] of Object.entries(BUILTIN_AGENTS)) out[name] = agentPresetSchema.parse(preset);
  return { ...out, ...config.agents };
}
