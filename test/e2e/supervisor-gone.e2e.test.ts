import { describe, expect, it } from 'vitest';
import { daemonPid, isAlive, muster } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { addTask, agentPid, status, useE2e, VIEW_TABS } from './cockpit.js';
import { lastRow, visible } from './tmux.js';

const e2e = useE2e();

describe('the supervisor going away under an open cockpit', () => {
  it('says so after muster stop, marks the header as stale, and r starts it again and reconnects', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'worker', ['@print still working', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 120, rows: 30 });
    await term.waitForText(['#1 · worker · fake', 'still working']);

    const stopped = await muster(repo.dir, ['stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const gone = await term.waitForText(['The muster supervisor went away', /^supervisor gone/m, /r\s+restart it/]);
    expect(gone, visible(gone)).not.toMatch(/EPIPE|ECONNRESET|unexpected error/);

    term.sendKeys('r');
    const back = await term.waitForText(['Reconnected to the supervisor', VIEW_TABS, /1 stalled/]);
    expect(back, visible(back)).not.toContain('went away');
    expect(daemonPid(repo.dir)).not.toBeNull();
    term.sendKeys('2');
    await term.waitForText(/#1 +stalled/);
  });

  it('reconnects by itself once a supervisor runs again after a crash, to the same agent: its screen, and its input', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'worker', ['@print still working', '@wait-input', '@print heard after the crash', '@stay']);
    const term = await e2e.cockpit(repo, { cols: 120, rows: 30 });
    await term.waitForText(['still working', 'waiting for input>']);
    const agent = await agentPid(repo, 1);
    const pid = daemonPid(repo.dir)!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: `supervisor pid ${pid} to die` });
    await term.waitForText('The muster supervisor went away');
    expect(isAlive(agent), 'the agent outlives the supervisor in the terminal worker').toBe(true);

    // Any muster command starts a supervisor; the cockpit finds it without a key.
    expect((await muster(repo.dir, ['status'])).code).toBe(0);
    await term.waitForText(['Reconnected to the supervisor', VIEW_TABS]);
    const after = (await status(repo)).tasks.find((t) => t.id === 1)!;
    expect(after.state).toBe('running');
    expect(after.sessions.map((s) => s.pid)).toEqual([agent]);
    await term.waitForText(['#1 · worker · fake', 'still working', 'waiting for input>']);
    await term.waitForStable();

    term.sendKeys('Enter');
    await term.waitForScreen((s) => s.includes('waiting for input>') && !VIEW_TABS.test(s) && lastRow(s).includes('#1 attached'), 'the agent full-screen');
    term.type('typed after the crash');
    term.sendKeys('Enter');
    await term.waitForText(['got: typed after the crash', 'heard after the crash']);
    term.sendKeys('C-]');
    await term.waitForScreen((s) => VIEW_TABS.test(s) && s.includes('heard after the crash'), 'the cockpit back');
    expect(isAlive(agent)).toBe(true);
  });
});
