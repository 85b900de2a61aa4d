import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addTask, useE2e, waitForTaskState } from './cockpit.js';

const e2e = useE2e();

describe('the merges view', () => {
  it('lands a task in review on the target when approved with y', async () => {
    const repo = e2e.repo();
    const before = repo.git('rev-parse', 'main').trim();
    await addTask(repo, 'feature', ['@write feature.txt made by the agent', '@commit add feature', '@exit 0']);
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'in review');
    const term = await e2e.cockpit(repo);

    term.sendKeys('5');
    // The queue row, and the details of the selected merge: #1 is the selected one.
    await term.waitForText([/#1\b[^\n]*\bfeature/, '#1 feature — muster/1-feature', 'add feature']);
    // One key at a time, each after the screen answered the last (keys.e2e.test.ts: keys that
    // arrive together are lost).
    term.sendKeys('y');
    const landed = await term.waitForText(/Landed #1 on main: (\w+) → (\w+)/, { timeout: 30_000 });
    const [, from, to] = /Landed #1 on main: (\w+) → (\w+)/.exec(landed)!;

    const after = repo.git('rev-parse', 'main').trim();
    expect(after).not.toBe(before);
    expect(before.startsWith(from!)).toBe(true);
    expect(after.startsWith(to!)).toBe(true);
    expect(repo.git('log', '--format=%s', 'main')).toContain('add feature');
    // The main checkout has the agent's file.
    expect(existsSync(join(repo.dir, 'feature.txt'))).toBe(true);
    expect(readFileSync(join(repo.dir, 'feature.txt'), 'utf8')).toBe('made by the agent\n');
    await term.waitForText(`main@${after.slice(0, 7)}`);
    await waitForTaskState(repo, 1, (t) => t.state === 'merged', 'merged');
  });
});
