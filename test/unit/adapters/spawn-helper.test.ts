import { afterEach, describe, expect, it } from 'vitest';
import { GitError, git, holdSpawnHelper, runGit } from '../../../src/adapters/git/git.js';
import { SpawnHelper } from '../../../src/adapters/proc/spawn-helper.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo | null = null;
const releases: (() => void)[] = [];
afterEach(() => {
  for (const r of releases.splice(0)) r();
  repo?.cleanup();
  repo = null;
});

describe('git through the spawn helper', () => {
  it('answers as a forked git does: output, exit codes, input, environment and failures', async () => {
    repo = createTempRepo();
    repo.write('a.txt', 'one\n');
    repo.commitAll('first');
    const direct = {
      head: await git(repo.dir, ['rev-parse', 'HEAD']),
      missing: await runGit(repo.dir, ['rev-parse', '--verify', '--quiet', 'no-such-ref']),
      hashed: await git(repo.dir, ['hash-object', '--stdin'], { input: 'some text\n' }),
      env: await git(repo.dir, ['var', 'GIT_AUTHOR_IDENT'], { env: { ...process.env, GIT_AUTHOR_NAME: 'Someone Else', GIT_AUTHOR_EMAIL: 'x@y' } }),
    };
    releases.push(holdSpawnHelper());
    const helped = {
      head: await git(repo.dir, ['rev-parse', 'HEAD']),
      missing: await runGit(repo.dir, ['rev-parse', '--verify', '--quiet', 'no-such-ref']),
      hashed: await git(repo.dir, ['hash-object', '--stdin'], { input: 'some text\n' }),
      env: await git(repo.dir, ['var', 'GIT_AUTHOR_IDENT'], { env: { ...process.env, GIT_AUTHOR_NAME: 'Someone Else', GIT_AUTHOR_EMAIL: 'x@y' } }),
    };
    expect(helped.head).toBe(direct.head);
    expect(helped.missing.exitCode).toBe(1);
    expect(helped.missing).toEqual(direct.missing);
    expect(helped.hashed).toBe(direct.hashed);
    expect(helped.env.split(' <')[0]).toBe('Someone Else');
    const failed = await git(repo.dir, ['cat-file', '-p', 'no-such-object']).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(GitError);
    expect((failed as GitError).exitCode).toBe(128);
    expect((failed as GitError).message).toMatch(/no-such-object/);
    const nowhere = await git(`${repo.dir}/no-such-dir`, ['status']).catch((e: unknown) => e);
    expect(nowhere).toBeInstanceOf(GitError);
    expect((nowhere as GitError).exitCode).toBeNull();
  });

  it('runs many commands at once and answers each its own', async () => {
    repo = createTempRepo();
    repo.write('a.txt', 'one\n');
    repo.commitAll('first');
    releases.push(holdSpawnHelper());
    const texts = Array.from({ length: 20 }, (_, i) => `text ${i}\n`);
    const direct = await Promise.all(texts.map((t) => git(repo!.dir, ['hash-object', '--stdin'], { input: t })));
    expect(new Set(direct).size).toBe(20);
    for (const [i, t] of texts.entries()) expect(await git(repo.dir, ['hash-object', '--stdin'], { input: t })).toBe(direct[i]);
  });

  it('refuses what it was running when it is stopped, and says the command may have run', async () => {
    const helper = new SpawnHelper();
    const slow = helper.run('sleep', ['5'], { cwd: process.cwd(), env: process.env, maxBuffer: 1024 });
    helper.stop();
    await expect(slow).rejects.toThrow(/spawn helper was stopped; sleep 5 may or may not have run/);
  });
});
