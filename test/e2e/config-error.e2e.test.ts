import { describe, expect, it } from 'vitest';
import { musterJson } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { MUSTER, openCockpit, status, useE2e } from './cockpit.js';

const e2e = useE2e();

describe('a config broken while the supervisor runs', () => {
  it('opens the cockpit with the same file:line message the CLI shows, never a stack trace', async () => {
    const repo = e2e.repo();
    await status(repo);
    const lines = repo
      .git('show', 'HEAD:.muster/config.yaml')
      .trimEnd()
      .replace(/parallel: \{[^}]*\}/, 'parallel:\n  max_workers: four')
      .split('\n');
    repo.write('.muster/config.yaml', `${lines.join('\n')}\n`);
    const problem = `.muster/config.yaml:${lines.indexOf('  max_workers: four') + 1} parallel.max_workers: expected a positive integer, received "four"`;
    // The supervisor keeps the last good config and reports the file's problem.
    const reported = await waitFor(async () => (await musterJson<{ configError: string | null }>(repo.dir, ['status'])).configError, {
      what: 'the supervisor to report the broken config',
    });
    expect(reported).toBe(problem);

    const term = await e2e.terminal(repo.dir, { cols: 200 });
    await openCockpit(term);
    const screen = await term.waitForText(`config not applied: ${problem}`);
    expect(screen).not.toContain('unexpected error');
    expect(screen).not.toContain('ConfigError');

    // A command that reads the file itself says the same.
    term.sendKeys('q');
    await term.waitForPrompt();
    term.run(`${MUSTER} attach 1`);
    const attach = await term.waitForText('muster: the configuration has errors.');
    expect(attach).toContain(problem);
    expect(attach).not.toContain('unexpected error');
  });
});
