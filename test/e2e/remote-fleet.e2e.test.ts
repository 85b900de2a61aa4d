import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { muster, musterJson } from '../helpers/cli.js';
import { sshSkipReason, startSshHost, type SshHost } from '../helpers/sshd.js';
import type { TempRepo } from '../helpers/temp-repo.js';
import { addTask, MUSTER, useE2e, VIEW_TABS, waitForTaskState } from './cockpit.js';

const skip = sshSkipReason();
if (skip) console.warn(`skipping the fleet tests: ${skip}`);

const e2e = useE2e();

describe.skipIf(skip !== null)('a cockpit of several repositories, local and remote (fleet.yaml)', () => {
  let host: SshHost;
  let nowhere: string;

  beforeAll(async () => {
    host = await startSshHost();
    nowhere = realpathSync(mkdtempSync(join(tmpdir(), 'muster-fleet-')));
  });
  afterAll(() => {
    host?.stop();
    if (nowhere) rmSync(nowhere, { recursive: true, force: true });
  });

  it('shows counts per repository, switches with ] and [, and sends every action to the repository on screen', async () => {
    const alpha = e2e.repo();
    const beta = e2e.repo();
    const far = e2e.repo();
    await addTask(alpha, 'alpha work', ['@print alpha agent here', '@stay']);
    await addTask(beta, 'beta feature', ['@write beta.txt from beta', '@commit add beta', '@exit 0']);
    const farTask = async (title: string, line: string) => {
      const r = await muster(nowhere, ['--host', `${host.alias}:${far.dir}`, 'task', 'add', title, '--prompt', `@print ${line}\n@stay`], { env: host.env });
      expect(r.code, r.stderr).toBe(0);
    };
    await farTask('far one', 'far agent one');
    await farTask('far two', 'far agent two');
    await waitForTaskState(beta, 1, (t) => t.state === 'review', 'in review');
    await waitForTaskState(far, 2, (t) => t.state === 'running', 'running');
    await waitForTaskState(alpha, 1, (t) => t.state === 'running', 'running');
    const tips = (r: TempRepo) => r.git('rev-parse', 'main').trim();
    const before = { alpha: tips(alpha), beta: tips(beta), far: tips(far) };

    const config = join(nowhere, 'config');
    mkdirSync(join(config, 'muster'), { recursive: true });
    writeFileSync(
      join(config, 'muster', 'fleet.yaml'),
      [
        'repositories:',
        `  - { path: ${JSON.stringify(alpha.dir)}, name: alpha }`,
        `  - { path: ${JSON.stringify(beta.dir)}, name: beta }`,
        `  - { host: ${host.alias}, path: ${JSON.stringify(far.dir)}, name: far }`,
        '',
      ].join('\n'),
    );
    const term = await e2e.terminal(nowhere, { env: { ...host.env, XDG_CONFIG_HOME: config } });
    term.run(MUSTER);
    await term.waitForText(['muster · alpha · main@', VIEW_TABS, '[alpha (1 running)]  beta (1 review)  far (2 running)  [ ] switch', 'alpha agent here']);

    // ] shows the next repository: beta's merge lands on beta, and nowhere else.
    term.sendKeys(']');
    await term.waitForText(['muster · beta · main@', 'alpha (1 running)  [beta (1 review)]  far (2 running)']);
    term.sendKeys('5');
    await term.waitForText('#1 beta feature — muster/1-beta-feature');
    term.sendKeys('y');
    await term.waitForText(/Landed #1 on main: \w+ → \w+/, { timeout: 40_000 });
    expect(beta.git('show', 'main:beta.txt')).toBe('from beta\n');
    expect(tips(alpha)).toBe(before.alpha);
    expect(tips(far)).toBe(before.far);
    await term.waitForText('alpha (1 running)  [beta (idle)]  far (2 running)');

    // The remote one: its own live panes; p pauses its dispatch only.
    term.sendKeys(']');
    await term.waitForText('muster · far · main@');
    term.sendKeys('1');
    await term.waitForText(['[far (2 running)]', '#1 · far one · fake', 'far agent one', 'far agent two']);
    term.sendKeys('p');
    await term.waitForText('Dispatch paused');
    const paused = async (r: TempRepo) => (await musterJson<{ paused: boolean }>(r.dir, ['status'])).paused;
    expect(await paused(far)).toBe(true);
    expect(await paused(alpha)).toBe(false);
    expect(await paused(beta)).toBe(false);

    // [ goes back, round the list: far → beta → alpha, whose agent is on screen again.
    term.sendKeys('[');
    await term.waitForText('muster · beta · main@');
    term.sendKeys('[');
    await term.waitForText(['muster · alpha · main@', '#1 · alpha work · fake', 'alpha agent here']);
    const screen = term.capture();
    expect(screen).not.toContain('far agent one');
  });
});
