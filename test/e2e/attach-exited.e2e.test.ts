import { describe, expect, it } from 'vitest';
import { addTask, MUSTER, terminalProblems, useE2e, waitForTaskState } from './cockpit.js';
import { visible } from './tmux.js';

const e2e = useE2e();

describe('muster attach to an agent that already exited', () => {
  it('says the agent is not running and where its output is, instead of waiting on a dead screen', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'crasher', ['@print fatal: cannot reach the database', '@exit 3']);
    await waitForTaskState(repo, 1, (t) => t.state === 'failed', 'failed');
    const term = await e2e.terminal(repo.dir, { cols: 100, rows: 30 });
    const shellModes = term.modes();
    term.run(`${MUSTER} attach 1; echo "attach exit $?"`);
    const said = await term.waitForText(/attach exit \d+/);
    expect(said, visible(said)).toMatch(/#1's agent is not running \(it exited with code 3\); "muster log 1" prints what it wrote\./);
    expect(said, visible(said)).toContain('attach exit 1');
    expect(said, visible(said)).not.toContain('keeps running');
    expect(await terminalProblems(term, shellModes, { leftOver: /fatal: cannot reach/ })).toEqual([]);
  });
});
