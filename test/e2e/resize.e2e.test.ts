import { describe, expect, it } from 'vitest';
import { FULLSCREEN_AGENT } from '../helpers/agent-repo.js';
import { addTask, useE2e, VIEW_TABS } from './cockpit.js';
import { lastRow, visible } from './tmux.js';

const e2e = useE2e();

const FULL = { full: { command: process.execPath, args: [FULLSCREEN_AGENT] } };
const rows = (s: string): string[] => s.replace(/\n$/, '').split('\n');

describe('resizing the terminal', () => {
  it('resizes an attached agent with it and keeps the detach hint on the last row', async () => {
    const repo = e2e.repo({ agents: FULL });
    await addTask(repo, 'fullscreen', ['draw'], 'full');
    const term = await e2e.cockpit(repo, { cols: 120, rows: 32 });
    await term.waitForText(/fullscreen \d+x\d+ redrawn/);
    await term.waitForStable();
    term.sendKeys('Enter');
    await term.waitForScreen((s) => s.includes('fullscreen 120x31') && lastRow(s).includes('#1 attached'), 'attached at 120x31');

    term.resize(90, 26);
    const small = await term.waitForScreen((s) => s.includes('fullscreen 90x25'), 'the agent redrawn at 90x25');
    expect(rows(small), visible(small)).toHaveLength(26);
    expect(rows(small)[25], visible(small)).toContain('#1 attached');
    // The agent's frame reaches the last column and the row above the hint: nothing clipped.
    expect(rows(small)[24]!.trimEnd(), visible(small)).toMatch(/^└─+┘$/);

    term.resize(130, 36);
    const big = await term.waitForScreen((s) => s.includes('fullscreen 130x35'), 'the agent redrawn at 130x35');
    expect(rows(big)[35], visible(big)).toContain('#1 attached');
    expect(rows(big)[34]!.trimEnd(), visible(big)).toMatch(/^└─{128}┘$/);
  });

  it('repaints the whole cockpit at the new size: header, status row, idle panes and the key hints', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'left', ['@print left pane is idle', '@stay']);
    await addTask(repo, 'right', ['@print right pane is idle', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 140, rows: 36 });
    await term.waitForText(['left pane is idle', 'right pane is idle']);
    await term.waitForStable();

    for (const [cols, height] of [
      [100, 28],
      [150, 40],
      [90, 24],
    ] as const) {
      term.resize(cols, height);
      const s = await term.waitForScreen(
        (x) =>
          rows(x).length === height &&
          VIEW_TABS.test(rows(x)[0] ?? '') &&
          /2 running/.test(rows(x)[1] ?? '') &&
          x.includes('left pane is idle') &&
          x.includes('right pane is idle') &&
          /q quit/.test(rows(x)[height - 1] ?? ''),
        `the whole cockpit at ${cols}x${height}`,
      );
      // Nothing of the old layout left over: one title bar per pane.
      expect(s.match(/#1 · left/g), visible(s)).toHaveLength(1);
      expect(s.match(/#2 · right/g), visible(s)).toHaveLength(1);
    }
  });
});
