import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonPid, muster } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo;
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(() => repo.cleanup());

describe('usage errors', () => {
  it('says "unknown command" for a first word that is no command, lists the commands, and exits 2 without starting anything', async () => {
    const r = await muster(repo.dir, ['bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command 'bogus'\. Commands: init, daemon, .*\bstop, status, .*\bmerge\b.*\n\(run with --help for usage\)/);
    expect(r.stderr).not.toContain('too many arguments');
    expect(daemonPid(repo.dir)).toBeNull();
  });

  it('says "unknown command" for a subcommand too', async () => {
    const r = await muster(repo.dir, ['task', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown command 'bogus'");
  });
});
