import { describe, expect, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';
import { styleAt } from './tmux.js';

const e2e = useE2e();

const plain = (row: string) => row.replace(/\x1b\[[0-9;:]*m/g, '');

describe('the selection in the cockpit', () => {
  // Product bug: nothing Ink draws has any style, in any terminal: no inverse selected row, no
  // highlighted view tab, no colours. src/cli/commands/tui.ts sets process.env.CI = '0' while
  // it imports the TUI so Ink renders live, but chalk's supports-color, evaluated at that
  // import, treats any CI variable as a CI run and picks colour level 0
  // (node_modules/chalk/source/vendor/supports-color/index.js, `if ('CI' in env) ... return min`).
  // The pane runs without CI at all, as an operator's terminal does.
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
