import { describe, expect, it } from 'vitest';
import { addTask, useE2e, waitForTaskState } from './cockpit.js';
import { visible } from './tmux.js';

const e2e = useE2e();

const rows = (s: string): string[] => s.replace(/\n$/, '').split('\n');
const FILES = Array.from({ length: 30 }, (_, i) => `file-${String(i).padStart(2, '0')}.txt`);

describe('the diff of a merge when the terminal grows', () => {
  it('fills the taller view with more of the diff, its last line still at the bottom', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'many files', [...FILES.map((f) => `@write ${f} content of ${f}`), '@commit many files', '@exit 0']);
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'in review');
    const term = await e2e.cockpit(repo, { cols: 120, rows: 24 });
    term.type('5');
    await term.waitForText(/#1 +medium +1 +30/);
    term.sendKeys('Enter');
    await term.waitForText(/Diff of #1 — line 1\//);
    term.type('G');
    const bottom = await term.waitForText(/\+content of file-29\.txt/);
    const [, from, total] = /line (\d+)\/(\d+)/.exec(bottom)!.map(Number);
    expect(from! > 1, visible(bottom)).toBe(true);

    term.resize(120, 44);
    // 20 rows taller: 20 more lines of the diff above, and no blank rows under its last line.
    const grown = await term.waitForScreen(
      (s) =>
        rows(s).length === 44 &&
        /Diff of #1/.test(s) &&
        rows(s)
          .slice(-2)
          .some((r) => r.trim() !== ''),
      'the diff redrawn at 44 rows, the status line on the last row',
    );
    const now = Number(/Diff of #1 — line (\d+)\//.exec(grown)![1]);
    expect({ from: now, total }, visible(grown)).toEqual({ from: from! - 20, total });
    const shown = rows(grown);
    const last = shown.findIndex((r) => r.includes('+content of file-29.txt'));
    expect(
      shown.slice(last + 1, -2).every((r) => r.trim() === '') && shown.length - 1 - last <= 3,
      `the diff's last line right above the status line\n${visible(grown)}`,
    ).toBe(true);
  });
});
