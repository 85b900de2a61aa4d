import { describe, expect, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';
import { styleAt } from './tmux.js';

const e2e = useE2e();

const plain = (row: string) => row.replace(/\x1b\[[0-9;:]*m/g, '');

describe('the selection in the cockpit', () => {
  // Guards a regression: chalk's supports-color picks colour level 0 whenever a CI variable
  // exists at all, so the TUI once drew no styles when it set CI=0 for Ink
  // (src/cli/commands/tui.ts now removes it). The pane runs without CI, as an operator's does.
  it('shows the selected task row and the active view tab in inverse video', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'pick me', ['@print picked', '@stay']);
    const term = await e2e.cockpit(repo, { env: { CI: undefined } });
    await term.waitForText('picked');

    term.sendKeys('2');
    const screen = await term.waitForScreen((s) => /^#1\s+running\b/m.test(plain(s)), 'the tasks view with #1', { colour: true });
    const rows = screen.split('\n');
    const taskRow = rows.find((r) => /^#1\s+running\b/.test(plain(r)))!;
    const header = rows[0]!;
    expect({ row: styleAt(taskRow, '#1')?.inverse, tab: styleAt(header, '2 tasks')?.inverse }).toEqual({ row: true, tab: true });
  });
});
