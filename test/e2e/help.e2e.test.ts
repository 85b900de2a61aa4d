import { describe, expect, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';

const e2e = useE2e();

describe('the help overlay', () => {
  it('opens with ? listing the keys from the key map, and esc closes it back to the panes', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'helper', ['@print busy helping', '@stay']);
    // Tall enough that the merge keys are on the overlay's first page.
    const term = await e2e.cockpit(repo, { rows: 50 });
    await term.waitForText(['#1 · helper · fake', 'busy helping']);

    term.sendKeys('?');
    const keys = ['Keys', 'Attach to the selected agent', 'Detach from the agent', 'Approve: merge'];
    // The overlay replaces the panes: nothing of the agent's screen shows through.
    const help = await term.waitForScreen((s) => keys.every((k) => s.includes(k)) && !s.includes('busy helping'), 'the help overlay over the panes');
    expect(help).toMatch(/ctrl\+\]/);

    term.sendKeys('Escape');
    const back = await term.waitForScreen((s) => s.includes('busy helping') && !s.includes('Approve: merge'), 'the panes back without the help');
    expect(back).toContain('#1 · helper · fake');
  });
});
