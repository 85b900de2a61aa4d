import type { Command } from 'commander';
import { connect } from '../../client/connect.js';
import { EXIT } from '../../protocol/errors.js';
import { printError } from '../output.js';

/** `muster guard pre-commit`: run by the hook muster installs in agent worktrees. */
export function registerGuardCommand(program: Command): void {
  program
    .command('guard', { hidden: true })
    .description('commit guard run by the pre-commit hook of agent worktrees')
    .argument('<hook>', 'pre-commit')
    .action(async () => {
      const { stagedPaths } = await import('../../adapters/git/commit-guard.js');
      const paths = await stagedPaths(process.cwd());
      if (!paths.length) return;
      const { client } = await connect();
      try {
        const r = await client.call('lock.guard', { paths });
        if (!r.violations.length) return;
        const holders = [...new Set(r.violations.map((v) => ('task' in v.holder ? `#${v.holder.task}` : 'the operator')))];
        printError(
          [
            `muster: commit refused: #${r.task} would change paths write-locked by ${holders.join(', ')}:`,
            ...r.violations.map((v) => `  ${v.detail}`),
            'To proceed: unstage them (git restore --staged <path>), wait until the lock is free',
            `(muster lock acquire <path> --wait 600), or ask the operator. A commit made with --no-verify`,
            'is still reported as a lock violation.',
          ].join('\n'),
        );
        process.exitCode = EXIT.failure;
      } finally {
        client.close();
      }
    });
}
