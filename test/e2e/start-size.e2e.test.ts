import { describe, expect, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';
import { visible } from './tmux.js';

const e2e = useE2e();

describe('an agent that starts while nobody looks at it', () => {
  it('starts at the size of the pane it is shown in, so a line it draws once to its width is shown whole', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'first', ['@print first here', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 150, rows: 40 });
    await term.waitForText('first here');

    // Drawn once, at start, to the width it was given, like an agent CLI's welcome box.
    await addTask(repo, 'second', ['@ruler', '@size', '@stay']);
    const screen = await term.waitForText(/size \d+x\d+/);
    const width = Number(/size (\d+)x\d+/.exec(screen)![1]);
    expect(width, visible(screen)).toBeLessThan(150);
    // Both ends of the ruler are on screen: the pane is as wide as the terminal it started in.
    const ruler = `[${'-'.repeat(width - 2)}]`;
    expect(
      screen.split('\n').some((row) => row.includes(ruler)),
      visible(screen),
    ).toBe(true);
  });
});
