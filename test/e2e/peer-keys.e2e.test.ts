import { describe, expect, it } from 'vitest';
import { addTask, useE2e, waitForTaskState } from './cockpit.js';

const e2e = useE2e();

describe('keys for agents that need the operator', () => {
  it('jumps to the agent waiting for input with w and answers it with one line through i, without attaching', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'busy', ['@print working away', '@stay']);
    await addTask(repo, 'asker', ['@muster agent status waiting-input', '@wait-input', '@print thanks, carrying on', '@stay']);
    await waitForTaskState(repo, 2, (t) => t.state === 'running', 'running');
    const term = await e2e.cockpit(repo);
    await term.waitForText(['#2 · asker · fake', 'waiting for input>', 'waiting 1']);
    term.sendKeys('2');
    await term.waitForText(/ACTIVITY/);
    await term.waitForStable();

    term.sendKeys('w');
    await term.waitForText('#2 asker is waiting for input: i replies, enter attaches.');
    await term.waitForStable();
    term.sendKeys('i');
    await term.waitForText('Reply to #2 asker');
    term.type('use the staging database');
    await term.waitForText('use the staging database');
    term.sendKeys('Enter');
    const screen = await term.waitForText(['Sent to #2: use the staging database', 'got: use the staging database', 'thanks, carrying on']);
    // Still the cockpit, never attached.
    expect(screen).toMatch(/1 agents\s+2 tasks/);
  });
});
