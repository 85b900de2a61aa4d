import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FULLSCREEN_AGENT } from '../helpers/agent-repo.js';
import { addTask, MUSTER, openCockpit, terminalProblems, useE2e, VIEW_TABS, waitForTaskState } from './cockpit.js';
import { lastRow, PROMPT, visible } from './tmux.js';

const e2e = useE2e();

const FULL = { full: { command: process.execPath, args: [FULLSCREEN_AGENT] } };
const hasVim = (() => {
  try {
    execFileSync('vim', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const shellPrompt = (s: string): boolean => s.split('\n').some((l) => l.startsWith(PROMPT.trim()));

describe('attaching to a full-screen agent', () => {
  it('keeps every mode the agent turns on inside the attach: leaving its alternate screen shows no shell, detach restores the cockpit, quit the shell', async () => {
    const repo = e2e.repo({ agents: FULL });
    const term = await e2e.terminal(repo.dir, { cols: 120, rows: 32 });
    const shellModes = term.modes();
    await openCockpit(term);
    await addTask(repo, 'fullscreen', ['draw'], 'full');
    await term.waitForText(['#1 · fullscreen · full', /fullscreen \d+x\d+ redrawn/]);
    await term.waitForStable();
    const cockpitModes = term.modes();

    term.sendKeys('Enter');
    await term.waitForScreen(
      (s) => s.includes('fullscreen 120x31') && lastRow(s).includes('#1 attached'),
      'the agent full-screen at the size of the terminal, less the hint row',
    );
    // The modes the agent asked for still work while attached: up arrives in application mode.
    term.sendKeys('Up');
    await term.waitForText('last input: \\eOA');

    term.type('l');
    const left = await term.waitForText('back on the main screen');
    expect(term.format('#{alternate_on}'), visible(left)).toBe('1');
    expect(shellPrompt(left), `the shell shows through\n${visible(left)}`).toBe(false);
    expect(lastRow(left), 'the detach hint stays').toContain('#1 attached');

    term.sendKeys('C-]');
    const back = await term.waitForScreen(
      (s) => VIEW_TABS.test(s) && s.includes('#1 · fullscreen · full') && s.includes('back on the main screen'),
      'the cockpit repainted after detaching',
    );
    expect(back.split('\n')[1], `the header's status row\n${visible(back)}`).toMatch(/running/);
    expect(term.modes(), visible(back)).toEqual(cockpitModes);

    term.sendKeys('q');
    await term.waitForText(/d\s+detach/);
    term.sendKeys('d');
    expect(await terminalProblems(term, shellModes, { leftOver: /fullscreen|back on the main screen/ })).toEqual([]);
  });

  it('brings the cockpit back, on its own screen and modes, when the agent exits while attached', async () => {
    const repo = e2e.repo({ agents: FULL });
    const term = await e2e.terminal(repo.dir, { cols: 120, rows: 32 });
    const shellModes = term.modes();
    await openCockpit(term);
    await addTask(repo, 'fullscreen', ['draw'], 'full');
    await term.waitForText(/fullscreen \d+x\d+ redrawn/);
    await term.waitForStable();
    const cockpitModes = term.modes();
    term.sendKeys('Enter');
    await term.waitForText('fullscreen 120x31');

    // It exits leaving its modes on, as a crashing program does.
    term.type('q');
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'in review after its agent exited 0');
    const back = await term.waitForScreen((s) => VIEW_TABS.test(s) && !s.includes('#1 attached'), 'the cockpit back after the agent exited');
    expect(term.format('#{alternate_on}')).toBe('1');
    expect(shellPrompt(back), visible(back)).toBe(false);
    expect(term.modes(), visible(back)).toEqual(cockpitModes);

    term.sendKeys('q');
    expect(await terminalProblems(term, shellModes, { leftOver: /fullscreen|says bye/ })).toEqual([]);
  });

  it.skipIf(!hasVim)('survives vim: :wq while attached returns to the cockpit, and quitting leaves a clean shell', async () => {
    const repo = e2e.repo({ agents: { vim: { command: 'vim', args: ['-u', 'NONE', '-N', '-c', 'set mouse=a', 'notes.txt'] } } });
    const term = await e2e.terminal(repo.dir, { cols: 100, rows: 30 });
    const shellModes = term.modes();
    await openCockpit(term);
    await addTask(repo, 'edit notes', ['edit'], 'vim');
    await term.waitForText(['#1 · edit notes · vim', 'notes.txt']);
    await term.waitForStable();
    const cockpitModes = term.modes();

    term.sendKeys('Enter');
    // vim's empty buffer: a column of tildes.
    await term.waitForScreen((s) => s.split('\n').filter((l) => l === '~').length > 10 && lastRow(s).includes('#1 attached'), 'vim full-screen');
    term.type('ihello from vim');
    term.sendKeys('Escape');
    await term.waitForText('hello from vim');
    term.type(':wq');
    term.sendKeys('Enter');
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'in review after vim exited');
    const back = await term.waitForScreen((s) => VIEW_TABS.test(s) && !s.includes('#1 attached'), 'the cockpit back after vim exited');
    expect(term.format('#{alternate_on}')).toBe('1');
    expect(shellPrompt(back), visible(back)).toBe(false);
    expect(term.modes(), visible(back)).toEqual(cockpitModes);

    term.sendKeys('q');
    expect(await terminalProblems(term, shellModes, { leftOver: /hello from vim|notes\.txt/ })).toEqual([]);
  });
});

describe('muster attach in a plain terminal', () => {
  it('leaves nothing of a full-screen agent on the shell screen after detaching, and the modes as they were', async () => {
    const repo = e2e.repo({ agents: FULL });
    await addTask(repo, 'fullscreen', ['draw'], 'full');
    await waitForTaskState(repo, 1, (t) => t.state === 'running' && t.sessions.length > 0, 'running');
    const term = await e2e.terminal(repo.dir, { cols: 100, rows: 30 });
    const shellModes = term.modes();
    term.run(`${MUSTER} attach 1`);
    await term.waitForText('fullscreen 100x30');
    term.type('l');
    const left = await term.waitForText('back on the main screen');
    expect(shellPrompt(left), visible(left)).toBe(false);
    term.sendKeys('C-]');
    await term.waitForText('Detached from #1');
    expect(await terminalProblems(term, shellModes, { leftOver: /fullscreen|back on the main screen/ })).toEqual([]);
  });

  it('ends by itself when the agent exits, saying so, with the terminal restored', async () => {
    const repo = e2e.repo({ agents: FULL });
    await addTask(repo, 'fullscreen', ['draw'], 'full');
    await waitForTaskState(repo, 1, (t) => t.state === 'running' && t.sessions.length > 0, 'running');
    const term = await e2e.terminal(repo.dir, { cols: 100, rows: 30 });
    const shellModes = term.modes();
    term.run(`${MUSTER} attach 1`);
    await term.waitForText('fullscreen 100x30');
    term.type('q');
    await term.waitForText(/#1's agent exited \(code 0\)/);
    expect(await terminalProblems(term, shellModes, { leftOver: /fullscreen|says bye/ })).toEqual([]);
  });
});
