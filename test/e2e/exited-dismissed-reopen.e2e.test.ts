import { describe, expect, it } from 'vitest';
import { muster } from '../helpers/cli.js';
import { addTask, openCockpit, useE2e, VIEW_TABS, waitForTaskState } from './cockpit.js';
import { visible } from './tmux.js';

const e2e = useE2e();

describe('an exited agent put away with D', () => {
  it('stays put away when the cockpit is quit and opened again', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'crasher', ['@print fatal: cannot reach the database', '@exit 3']);
    await addTask(repo, 'steady', ['@print steady is working', '@stay']);
    await waitForTaskState(repo, 1, (t) => t.state === 'failed', 'failed');
    const term = await e2e.cockpit(repo, { cols: 140, rows: 32 });
    await term.waitForText(['#1 · crasher · fake · exited (code 3) · failed', 'steady is working']);
    await term.waitForStable();
    term.type('D');
    await term.waitForText(/Put away #1's last screen/);

    term.type('q');
    await term.waitForText(/d\s+detach/);
    term.type('d');
    await term.waitForShell();
    await openCockpit(term);
    const again = await term.waitForText(['#2 · steady · fake', 'steady is working', VIEW_TABS]);
    expect(again, visible(again)).not.toContain('#1 · crasher');
  });

  it('stays put away after the supervisor is stopped and started again from its store', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'crasher', ['@print fatal: cannot reach the database', '@exit 3']);
    await addTask(repo, 'steady', ['@print steady is working', '@stay']);
    await waitForTaskState(repo, 1, (t) => t.state === 'failed', 'failed');
    const term = await e2e.cockpit(repo, { cols: 140, rows: 32 });
    await term.waitForText(['#1 · crasher · fake · exited (code 3) · failed', 'steady is working']);
    await term.waitForStable();
    term.type('D');
    await term.waitForText(/Put away #1's last screen/);
    term.type('q');
    await term.waitForText(/d\s+detach/);
    term.type('d');
    await term.waitForShell();

    const stopped = await muster(repo.dir, ['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    // A new supervisor reads the store: #2's agent was stopped with it, and shows how it ended.
    await openCockpit(term);
    const again = await term.waitForText(['#2 · steady · fake · exited', VIEW_TABS]);
    expect(again, visible(again)).not.toContain('#1 · crasher');
  });
});
