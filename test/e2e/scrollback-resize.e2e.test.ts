import { describe, expect, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';
import { visible } from './tmux.js';

const e2e = useE2e();

const rows = (s: string): string[] => s.replace(/\n$/, '').split('\n');

describe('the output reader when the terminal grows', () => {
  it('fills the taller view with the older lines above, the newest still at its bottom', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'flood', ['@flood 300', '@print flood done', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 120, rows: 24 });
    await term.waitForText('flood done');
    await term.waitForStable();

    term.type('o');
    const small = await term.waitForText(/#1 output — lines \d+–\d+ of \d+/);
    const [, from, to, total] = /lines (\d+)–(\d+) of (\d+)/.exec(small)!.map(Number);
    expect(to, visible(small)).toBe(total);

    term.resize(120, 44);
    // The reader is 20 rows taller now: it shows 20 more of the older lines, and its newest line
    // stays right above the footer instead of a gap of blank rows below it.
    const grown = await term.waitForScreen(
      (s) =>
        rows(s).length === 44 &&
        /#1 output — lines/.test(s) &&
        rows(s)
          .slice(-2)
          .some((r) => r.includes('esc back')),
      'the reader redrawn at 44 rows, its key hints on the last rows',
    );
    const title = /lines (\d+)–(\d+) of (\d+)/.exec(grown)!.map(Number);
    expect({ from: title[1], to: title[2] }, visible(grown)).toEqual({ from: from! - 20, to: total });
    const shown = rows(grown);
    const done = shown.findIndex((r) => r.includes('flood done'));
    expect(done, visible(grown)).toBeGreaterThan(30);
    expect(
      shown.slice(3, done).every((r) => r.trim() !== ''),
      `no blank row above the newest line\n${visible(grown)}`,
    ).toBe(true);
  });
});
