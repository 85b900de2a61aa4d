import { Command, CommanderError } from 'commander';
import { packageVersion } from '../paths/package-root.js';
import { EXIT, MusterError } from '../protocol/errors.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerInitCommand } from './commands/init.js';
import { registerAgentCommands } from './commands/agents.js';
import { registerAttachCommand } from './commands/attach.js';
import { registerContextCommands } from './commands/context.js';
import { registerGuardCommand } from './commands/guard.js';
import { registerLockCommands } from './commands/lock.js';
import { registerMergeCommands } from './commands/merge.js';
import { registerRunCommand } from './commands/run.js';
import { registerTaskCommands } from './commands/task.js';
import { registerTuiAction } from './commands/tui.js';


export function buildProgram(): Command {
  const program = new Command('muster')
    .description('Supervise a swarm of AI coding agents working in parallel on one git repository.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerInitCommand(program);
  registerDaemonCommands(program);
  const task = registerTaskCommands(program);
  registerAgentCommands(program, task);
  registerLockCommands(program);
  registerContextCommands(program, task);
  registerGuardCommand(program);
  registerMergeCommands(program);
  registerRunCommand(program);
  registerAttachCommand(program);
  registerTuiAction(program);
  return program;
}

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every usage error is bad input.
      return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (e instanceof MusterError) {
      if (wantsJson(argv)) process.stdout.write(`${JSON.stringify({ error: e.toWire() }, null, 2)}\n`);
      process.stderr.write(`muster: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`muster: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failure;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
