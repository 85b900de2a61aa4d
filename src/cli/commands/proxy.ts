import type { Command } from 'commander';
import { runProxy } from '../../client/proxy-bridge.js';

/**
 * `muster proxy`: what `--host` runs on the other machine over ssh. Its stdin and stdout are
 * the supervisor's socket; ssh does the transport and the authentication.
 */
export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description("bridge stdin/stdout to this repository's supervisor, starting it if needed (what --host runs over ssh)")
    .option('--cwd <path>', 'the repository (default: the current directory; ~ is the home directory)')
    .option('--no-start', 'exit 69 instead of starting a supervisor when none runs')
    .action(async (o: { cwd?: string; start: boolean }) => {
      process.exitCode = await runProxy({
        cwd: o.cwd ?? process.cwd(),
        start: o.start,
        input: process.stdin,
        output: process.stdout,
        say: (m) => process.stderr.write(`muster: ${m}\n`),
      });
    });
}
