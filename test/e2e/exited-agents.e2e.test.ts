import { describe, expect, it } from 'vitest';
import { addTask, useE2e, VIEW_TABS, waitForTaskState } from './cockpit.js';
import { lastRow, visible } from './tmux.js';

const e2e = useE2e();

describe('an agent that exited', () => {
  it('keeps its last screen in the agents view with its exit code, attachable, until dismissed', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'crasher', ['@print fatal: cannot reach the database', '@exit 3']);
    await addTask(repo, 'steady', ['@print steady is working', '@stay']);
    await waitForTaskState(repo, 1, (t) => t.state === 'failed', 'failed');
    const term = await e2e.cockpit(repo, { cols: 140, rows: 32 });
    const grid = await term.waitForText([
      '#1 · crasher · fake · exited (code 3) · failed',
      'fatal: cannot reach the database',
      '#2 · steady · fake',
      'steady is working',
    ]);
    expect(grid, visible(grid)).not.toContain('No agent is running');
    await term.waitForStable();

    term.sendKeys('Enter');
    const last = await term.waitForScreen(
      (s) => s.includes('fatal: cannot reach the database') && lastRow(s).includes("#1's agent has exited"),
      'its last screen full-screen',
    );
    expect(last, visible(last)).not.toMatch(VIEW_TABS);
    term.sendKeys('C-]');
    await term.waitForText(VIEW_TABS);

    term.type('D');
    // The other pane is laid out anew, its rows drawn again by the terminal worker's next frame.
    const after = await term.waitForText([/Put away #1's last screen; muster log 1 still prints it\./, 'steady is working']);
    expect(after, visible(after)).not.toContain('#1 · crasher');
  });
});
