import { describe, expect, it } from 'vitest';
import { addTask, useE2e, VIEW_TABS } from './cockpit.js';
import { lastRow, styleAt, visible } from './tmux.js';

const e2e = useE2e();

const FLOOD = (i: number) => `line ${i} ${'x'.repeat(60)}`;

describe('reading what scrolled off an agent', () => {
  it('pgup on a pane opens its output a page up; / finds a line long gone; q returns to the panes', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'flood', ['@flood 300', '@print flood done', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 120, rows: 30 });
    await term.waitForText('flood done');
    await term.waitForStable();

    term.sendKeys('PPage');
    const page = await term.waitForText(/#1 output — lines \d+–\d+ of \d+/);
    expect(page, visible(page)).not.toContain('flood done');
    term.type('/');
    term.type('line 42 ');
    term.sendKeys('Enter');
    const found = await term.waitForText(FLOOD(42));
    const row = term
      .capture({ colour: true })
      .split('\n')
      .find((l) => l.includes('line 42 '));
    expect(styleAt(row!, 'line 42')?.inverse, visible(found)).toBe(true);
    term.sendKeys('G');
    await term.waitForText('flood done');
    term.type('q');
    await term.waitForScreen((s) => VIEW_TABS.test(s) && s.includes('#1 · flood · fake') && !s.includes('#1 output —'), 'the panes back');
  });

  it('opens from an attached agent with the detach key then o, and leaving it attaches again', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'flood', ['@flood 200', '@wait-input', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 120, rows: 30 });
    await term.waitForText('waiting for input>');
    await term.waitForStable();
    term.sendKeys('Enter');
    await term.waitForScreen((s) => lastRow(s).includes('#1 attached'), 'attached');

    // Both keys in one read, as a quick hand sends them.
    term.sendKeys('C-]', 'o');
    await term.waitForText(/#1 output — lines \d+–\d+ of \d+/);
    term.sendKeys('g');
    await term.waitForText(FLOOD(0));
    term.type('q');
    await term.waitForScreen((s) => lastRow(s).includes('#1 attached') && s.includes('waiting for input>'), 'attached again');
    // Still the agent's keyboard: what is typed reaches it.
    term.type('after reading');
    term.sendKeys('Enter');
    await term.waitForText('got: after reading');
  });
});
