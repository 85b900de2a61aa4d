import { z } from 'zod';
import { portEnvName } from '../core/port-slots.js';
import { AGENT_INTEGRATIONS } from '../core/agent-integration.js';

const posInt = (what = 'a positive integer') => z.number({ error: what }).int({ error: what }).positive({ error: what });
const port = z
  .number({ error: 'a port number from 1024 to 65535' })
  .int({ error: 'a port number from 1024 to 65535' })
  .min(1024, { error: 'a port number from 1024 to 65535' })
  .max(65535, { error: 'a port number from 1024 to 65535' });
const text = (what: string) => z.string({ error: what }).min(1, { error: what });
const stringList = (what: string) => z.array(z.string({ error: what }), { error: `a list of ${what}s` });

export const agentPresetSchema = z
  .object({
    command: text('a command name or path').describe('Program to run; looked up on PATH.'),
    args: stringList('argument').default([]).describe('Argument vector; {prompt} and {prompt_file} are substituted. Never run through a shell.'),
    env: z
      .record(z.string(), z.string({ error: 'a string value' }), { error: 'a map of NAME: value' })
      .default({})
      .describe('Extra environment variables for this agent.'),
    waiting_patterns: stringList('regular expression')
      .default([])
      .describe('Regular expressions that, on the last screen lines, mean the agent waits for input.'),
    integration: z
      .union([z.literal(false), z.enum(AGENT_INTEGRATIONS)], { error: `false, or one of ${AGENT_INTEGRATIONS.join(', ')}` })
      .optional()
      .describe(
        'Which agent CLI muster wires up (hooks, the muster MCP server, the brief as system prompt, resumable sessions): claude, codex or gemini; default: from the command name; false: none (the agent still gets the brief and the muster CLI).',
      ),
    done_on_idle: z
      .boolean({ error: 'true or false' })
      .default(false)
      .describe('When the agent ends its turn with commits on its branch, send the task to review by itself.'),
    resume: z
      .boolean({ error: 'true or false' })
      .default(true)
      .describe("Resume the agent's conversation on retry, restart and reject (where its CLI can); false always starts cold."),
  })
  .strict();

export type AgentPreset = z.infer<typeof agentPresetSchema>;

/** Presets that exist without any configuration; a config entry of the same name replaces one. */
export const BUILTIN_AGENTS: Record<string, z.input<typeof agentPresetSchema>> = {
  claude: { command: 'claude', args: ['--', '{prompt}'], waiting_patterns: ['Do you want to', '❯ 1\\. Yes', 'esc to interrupt\\)?$'] },
  codex: { command: 'codex', args: ['--', '{prompt}'], waiting_patterns: ['Allow command\\?', 'approve'] },
  aider: { command: 'aider', args: ['--message-file', '{prompt_file}'], waiting_patterns: ['\\(Y\\)es/\\(N\\)o', '^> $'] },
  gemini: { command: 'gemini', args: ['--prompt-interactive={prompt}'], waiting_patterns: ['Allow execution', 'Waiting for user confirmation'] },
  shell: { command: 'bash', args: [] },
};

/**
 * The whole range must be usable: with `base: 65530` every slot would lie past 65535, no task
 * could get one, and tasks would wait for a port forever.
 */
function checkPortRange(p: { base: number; block: number; slots: number; names: string[] }, ctx: z.RefinementCtx): void {
  // The checks of each key run first and do not stop this one; their problems are the ones to show.
  if (![p.base, p.block, p.slots].every((n) => Number.isInteger(n) && n > 0) || !Array.isArray(p.names)) return;
  const last = p.base + p.slots * p.block - 1;
  if (last > 65535) {
    const fit = Math.floor((65536 - p.base) / p.block);
    const lowBase = 65536 - p.slots * p.block;
    const fixes = [...(lowBase >= 1024 ? [`lower base to ${lowBase} or less`] : []), ...(fit > 0 ? [`set slots to ${fit} or less`] : [])];
    ctx.addIssue({
      code: 'custom',
      path: ['base'],
      message: `a port range that ends by 65535 (base ${p.base} + slots ${p.slots} × block ${p.block} runs to ${last})${fixes.length ? `: ${fixes.join(', or ')}` : ''}`,
    });
  }
  if (p.names.length > p.block) {
    ctx.addIssue({
      code: 'custom',
      path: ['names'],
      message: `at most block (${p.block}) port names, one port each; ${p.names.length} are given: raise block or drop names`,
    });
  }
  const seen = new Map<string, string>();
  for (const name of p.names) {
    const env = portEnvName(name);
    const earlier = seen.get(env);
    if (earlier !== undefined)
      ctx.addIssue({ code: 'custom', path: ['names'], message: `port names with distinct variables; "${earlier}" and "${name}" are both ${env}` });
    seen.set(env, name);
  }
}

/** A host name as tasks and commands name it: `muster task add --on-host build1`. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const hostSchema = z
  .object({
    ssh: text('an ssh destination ([user@]host or a ~/.ssh/config alias)')
      .refine((s) => !s.startsWith('-') && !/\s/.test(s), { error: 'an ssh destination ([user@]host or a ~/.ssh/config alias), without spaces or a leading -' })
      .describe('How ssh reaches the host: [user@]host or an alias of ~/.ssh/config (keys, ports and jump hosts stay there).'),
    max_workers: posInt().default(2).describe('Agents that run on this host at once.'),
    dir: text('a directory path on the host')
      .default('muster-work')
      .describe("Where the host keeps its clones and task worktrees, relative to the ssh user's home unless absolute."),
    lock_lease_seconds: posInt()
      .default(120)
      .describe(
        "How long the locks of this host's tasks stay held after its last word (its worker renews them every quarter of it); once lapsed they are stale, and the host renews them when it is back.",
      ),
  })
  .strict();

export type HostConfig = z.infer<typeof hostSchema>;

export const configSchema = z
  .object({
    agents: z
      .record(z.string(), agentPresetSchema, { error: 'a map of agent name to preset' })
      .default({})
      .describe('Agent presets, merged over the built-in claude, codex, aider, gemini and shell.'),
    default_agent: text('an agent name').default('claude').describe('Agent used when a task names none.'),
    parallel: z
      .object({ max_workers: posInt().default(4).describe('Agents that run at once on this machine (hosts: have their own).') })
      .strict()
      .prefault({}),
    worktrees: z
      .object({
        dir: text('a directory path').default('../{repo}.worktrees').describe('Where task worktrees go, relative to the main worktree; {repo} is its name.'),
        setup: stringList('shell command').default([]).describe('Shell commands run in a new worktree before the agent starts.'),
        copy: stringList('path').default([]).describe('Untracked files copied from the main worktree into a new one.'),
        archive_exclude: z
          .array(z.string({ error: 'a directory name' }).regex(/^[^/\\]+$/, { error: 'a directory name, without slashes' }), {
            error: 'a list of directory names',
          })
          .default(['node_modules', '.venv', '__pycache__', 'target', '.next', '.cache'])
          .describe(
            'Directories whose git-ignored content is regenerable (dependency installs, build caches) and is left out when a worktree is archived before removal; everything else in it is kept.',
          ),
      })
      .strict()
      .prefault({}),
    ports: z
      .object({
        base: port.default(20000).describe('First port of slot 0; keep it below the ephemeral range.'),
        block: posInt().default(10).describe('Ports per task: slot k gets [base + k*block, base + (k+1)*block).'),
        slots: posInt().default(32).describe('Number of slots; muster never hands out a port past base + slots*block.'),
        names: stringList('port name').default([]).describe('Named ports, exported as MUSTER_PORT_<NAME> in order within the slot; at most `block` of them.'),
      })
      .strict()
      .superRefine(checkPortRange)
      .prefault({}),
    merge: z
      .object({
        target: text('a branch name').optional().describe('Branch that tasks merge into; default: the branch checked out in the main worktree.'),
        strategy: z
          .enum(['merge', 'rebase', 'squash'], { error: 'one of merge, rebase, squash' })
          .default('merge')
          .describe('merge (--no-ff), rebase (then fast-forward) or squash.'),
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
    keys: z
      .record(z.string(), z.string({ error: 'a key such as "ctrl+]"' }), { error: 'a map of action id to key' })
      .default({})
      .describe('Overrides of the default key map, e.g. detach: "ctrl+]".'),
    context: z
      .object({
        file: text('a file path').optional().describe('The shared context file; default <git-common-dir>/muster/shared-context.md.'),
      })
      .strict()
      .prefault({}),
    hosts: z
      .record(
        z
          .string()
          .regex(HOST_NAME, { error: 'a host name of letters, digits, ".", "_" and "-"' })
          .refine((n) => n !== 'local', { error: 'a host name other than "local" (this machine)' }),
        hostSchema,
        { error: 'a map of host name to { ssh, max_workers, dir }' },
      )
      .default({})
      .describe('Other machines that run agents over SSH: a task may name one (task add --on-host NAME), or dispatch picks one with a free worker.'),
    terminal: z
      .object({
        scrollback: posInt().default(10000).describe('Lines of scrollback kept per agent.'),
        log_max_bytes: posInt()
          .default(5 * 1024 * 1024)
          .describe('Size at which an agent terminal log is rotated.'),
        log_keep: posInt().default(3).describe('Rotated logs kept per task.'),
        stop_grace_seconds: posInt().default(5).describe('Seconds between SIGTERM and SIGKILL when an agent is stopped.'),
        cols: posInt()
          .optional()
          .describe('Columns of a new agent terminal; default: the width the last view of an agent (pane or attach) asked for, else 120.'),
        rows: posInt().optional().describe('Rows of a new agent terminal; default: the height the last view of an agent asked for, else 32.'),
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
