import { describe, expect, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';
import { positionOf, styleAt, visible } from './tmux.js';

const e2e = useE2e();

const AGENTS = ['alpha', 'beta', 'gamma'] as const;

/** Three agents that print a line of their own and stay running. */
async function threeAgents(repo: ReturnType<typeof e2e.repo>): Promise<void> {
  for (const name of AGENTS) await addTask(repo, name, [`@print output of ${name}`, `@color ${name}-colours`, '@stay']);
}

describe('the agents view', () => {
  it('shows three running agents at once, each in its own titled pane with its own output', async () => {
    const repo = e2e.repo();
    await threeAgents(repo);
    const term = await e2e.cockpit(repo);

    const titles = AGENTS.map((name, i) => `#${i + 1} · ${name} · fake`);
    const outputs = AGENTS.map((name) => `output of ${name}`);
    const screen = await term.waitForText([...titles, ...outputs]);

    // Each output sits in its own pane: below its own title, starting in that pane's column.
    const panes = AGENTS.map((_, i) => ({ title: positionOf(screen, titles[i]!)!, output: positionOf(screen, outputs[i]!)! }));
    for (const [i, { title, output }] of panes.entries()) {
      expect(output.row, `output of #${i + 1} below its title\n${visible(screen)}`).toBeGreaterThan(title.row);
      expect(Math.abs(output.col - title.col), `output of #${i + 1} in its pane's column\n${visible(screen)}`).toBeLessThanOrEqual(2);
    }
    // A grid, not a list: the panes do not all stack in one column.
    expect(new Set(panes.map((p) => p.title.col)).size, visible(screen)).toBeGreaterThan(1);
    expect(screen).not.toMatch(/too small/i);
  });

  it("keeps the colours of an agent's output in its pane", async () => {
    const repo = e2e.repo();
    await addTask(repo, 'painter', ['@color painted', '@stay']);
    const term = await e2e.cockpit(repo);

    const screen = await term.waitForText('red bold-green blue-bg painted');
    const coloured = term.capture({ colour: true });
    const row = coloured.split('\n').find((l) => l.includes('painted'));
    expect(row, visible(screen)).toBeDefined();
    expect(styleAt(row!, 'red'), visible(row!)).toEqual({ bold: false, inverse: false, fg: '31', bg: null });
    expect(styleAt(row!, 'bold-green'), visible(row!)).toEqual({ bold: true, inverse: false, fg: '32', bg: null });
    expect(styleAt(row!, 'blue-bg'), visible(row!)).toEqual({ bold: false, inverse: false, fg: null, bg: '44' });
    // The agent's resets came through too: the plain word after them is plain.
    expect(styleAt(row!, 'painted'), visible(row!)).toEqual({ bold: false, inverse: false, fg: null, bg: null });
  });

  it('shows a message instead of the panes when the terminal is too small for them, and the panes again when it grows', async () => {
    const repo = e2e.repo();
    await threeAgents(repo);
    const term = await e2e.cockpit(repo);
    await term.waitForText(AGENTS.map((name) => `output of ${name}`));

    term.resize(50, 12);
    // The message, and no pane drawn squashed: no agent output, no pane borders.
    const small = await term.waitForScreen(
      (s) => /too small/i.test(s) && AGENTS.every((name) => !s.includes(`output of ${name}`)) && !/[│─]{3}/.test(s),
      'the too-small message instead of the panes',
    );
    expect(small.replace(/\n$/, '').split('\n')).toHaveLength(12);
    // Still a cockpit: the agents are listed.
    for (const [i, name] of AGENTS.entries()) expect(small, visible(small)).toContain(`#${i + 1} ${name}`);

    term.resize(160, 45);
    const big = await term.waitForText(AGENTS.map((name) => `output of ${name}`));
    expect(big).not.toMatch(/too small/i);
  });
});
