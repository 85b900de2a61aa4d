import { Command } from 'commander';
import { packageVersion } from '../paths/package-root.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerInitCommand } from './commands/init.js';
import { registerAgentCommands } from './commands/agents.js';
import { registerAttachCommand } from './commands/attach.js';
import { registerContextCommands } from './commands/context.js';
import { registerGuardCommand } from './commands/guard.js';
import { registerHookCommand } from './commands/hook.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerLockCommands } from './commands/lock.js';
import { registerLogCommand } from './commands/log.js';
import { registerMergeCommands } from './commands/merge.js';
import { registerRunCommand } from './commands/run.js';
import { registerTaskCommands } from './commands/task.js';
import { registerTuiAction } from './commands/tui.js';
import { registerProxyCommand } from './commands/proxy.js';
import { registerGlobalOptions } from './global-options.js';

/**
 * The commands, grouped as they register, with the top-level names each group adds (a unit
 * test holds the names to what the groups register). `task`, `agent`, `gc`, `lock` and `context` are one
 * group (agents and context add subcommands to `task`), with `lock` kept in its help place.
 * `alone`: commands of a group that register by themselves when they are the one invoked.
 */
export const COMMAND_GROUPS: readonly {
  names: readonly string[];
  register: (program: Command) => void;
  alone?: Readonly<Record<string, (program: Command) => void>>;
}[] = [
  { names: ['init'], register: registerInitCommand },
  { names: ['daemon', 'worker', 'doctor', 'stop', 'status', 'pause', 'resume'], register: registerDaemonCommands },
  {
    names: ['task', 'agent', 'gc', 'lock', 'context'],
    register: (program) => {
      const task = registerTaskCommands(program);
      registerAgentCommands(program, task);
      registerLockCommands(program);
      registerContextCommands(program, task);
    },
    // Agents take and release locks around their edits: building the task, agent and context
    // commands' ~40 options besides was a tenth of such a command's own start.
    alone: { lock: registerLockCommands },
  },
  { names: ['guard'], register: registerGuardCommand },
  { names: ['hook'], register: registerHookCommand },
  { names: ['mcp'], register: registerMcpCommand },
  { names: ['conflicts', 'merge'], register: registerMergeCommands },
  { names: ['run'], register: registerRunCommand },
  { names: ['attach'], register: registerAttachCommand },
  { names: ['log'], register: registerLogCommand },
  { names: ['proxy'], register: registerProxyCommand },
];

/**
 * The program for `argv`: when its first word names a command, only that command's group is
 * registered (building every command's options cost each run a few ms); otherwise — the
 * cockpit, help, a global option first, a typo — all of them.
 */
export function buildProgram(argv: readonly string[] = []): Command {
  const program = new Command('muster')
    .description('Supervise a swarm of AI coding agents working in parallel on one git repository.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerGlobalOptions(program);
  const word = argv[2];
  const only = word === undefined ? undefined : COMMAND_GROUPS.find((g) => g.names.includes(word));
  if (only) {
    (only.alone?.[word!] ?? only.register)(program);
    return program;
  }
  for (const group of COMMAND_GROUPS) group.register(program);
  registerTuiAction(program);
  // `muster` takes no operands: a first word that is not a command is a typo of one, not an
  // argument of the cockpit ("too many arguments" said nothing useful).
  program.allowExcessArguments(true).hook('preAction', (_self, action) => {
    const word = action === program ? program.args[0] : undefined;
    if (word !== undefined) {
      const names = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
      program.error(`error: unknown command '${word}'. Commands: ${names.join(', ')}.`, { exitCode: 2, code: 'commander.unknownCommand' });
    }
  });
  return program;
}
