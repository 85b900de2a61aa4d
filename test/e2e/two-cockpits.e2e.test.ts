import { describe, expect, it } from 'vitest';
import { FULLSCREEN_AGENT } from '../helpers/agent-repo.js';
import { addTask, openCockpit, useE2e, VIEW_TABS } from './cockpit.js';
import { lastRow, visible } from './tmux.js';

const e2e = useE2e();

const FULL = { full: { command: process.execPath, args: [FULLSCREEN_AGENT] } };
const rows = (s: string): string[] => s.replace(/\n$/, '').split('\n');
/** A row of the agent's frame, `width` cells wide, drawn whole (its corners at both ends). */
const topBorder = (width: number) => new RegExp(`^┌─{${width - 2}}┐`);

describe('two cockpits of different sizes on one supervisor', () => {
  it('sizes the agent to the latest full-screen view and shows every other view a clipped, undamaged screen', async () => {
    const repo = e2e.repo({ agents: FULL });
    await addTask(repo, 'fullscreen', ['draw'], 'full');
    const big = await e2e.terminal(repo.dir, { cols: 140, rows: 40 });
    const small = await e2e.terminal(repo.dir, { cols: 80, rows: 24 });
    await openCockpit(big);
    await openCockpit(small);
    await big.waitForText(/fullscreen \d+x\d+ redrawn/);
    await small.waitForText(/fullscreen \d+x\d+ redrawn/);
    await small.waitForStable();

    // The small one attaches: the agent takes its size.
    small.sendKeys('Enter');
    await small.waitForScreen((s) => s.includes('fullscreen 80x23') && lastRow(s).includes('#1 attached'), 'the small terminal attached at 80x23');
    // The big cockpit's pane shows that 80x23 screen whole, padded, not stretched or wrapped.
    const bigPane = await big.waitForScreen(
      (s) => s.includes('fullscreen 80x23') && rows(s).some((r) => topBorder(80).test(r)),
      'the 80x23 screen in the big cockpit pane',
    );
    expect(
      rows(bigPane).filter((r) => topBorder(80).test(r)),
      visible(bigPane),
    ).toHaveLength(1);

    // The big one attaches too: now it is the latest view, and the agent takes its size.
    await big.waitForStable();
    big.sendKeys('Enter');
    await big.waitForScreen((s) => s.includes('fullscreen 140x39') && lastRow(s).includes('#1 attached'), 'the big terminal attached at 140x39');
    // The small view shows the bottom-left of the bigger screen, clipped at its edges, its hint kept.
    const clipped = await small.waitForScreen((s) => /^└─{79}$/.test(rows(s)[22] ?? ''), 'the small view clipped to the bottom-left 80x23 of a 140x39 screen');
    expect(rows(clipped), visible(clipped)).toHaveLength(24);
    expect(rows(clipped)[23], visible(clipped)).toContain('#1 attached');
    expect(
      rows(clipped)
        .slice(0, 22)
        .every((r) => r.startsWith('│')),
      visible(clipped),
    ).toBe(true);

    // The big one detaches: the small one is the latest full-screen view again.
    big.sendKeys('C-]');
    await big.waitForText(VIEW_TABS);
    await small.waitForScreen((s) => s.includes('fullscreen 80x23') && topBorder(80).test(rows(s)[0] ?? ''), 'the agent back at the small size');
    small.sendKeys('C-]');
    await small.waitForText(VIEW_TABS);
  });
});
