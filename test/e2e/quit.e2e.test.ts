import { describe, expect, it } from 'vitest';
import { daemonPid, isAlive } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { addTask, agentPid, openCockpit, status, terminalProblems, useE2e, VIEW_TABS } from './cockpit.js';
import { PROMPT } from './tmux.js';

const e2e = useE2e();

describe('quitting the cockpit', () => {
  it('q then d detaches: agents keep running, the terminal is restored, and muster shows their screens again', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'first', ['@print first is working', '@wait-input', '@stay']);
    await addTask(repo, 'second', ['@print second is working', '@stay']);
    const term = await e2e.terminal(repo.dir);
    const modesBefore = term.modes();
    await openCockpit(term);
    await term.waitForText(['first is working', 'second is working', 'waiting for input>']);
    // Leave a mark on #1's screen that only a live agent can have (enter on a settled screen:
    // see the attach race in attach.e2e.test.ts).
    await term.waitForStable();
    term.sendKeys('Enter');
    await term.waitForText('#1 attached');
    term.type('before quitting');
    term.sendKeys('Enter');
    await term.waitForText('got: before quitting');
    term.sendKeys('C-]');
    await term.waitForText([VIEW_TABS, 'second is working']);
    const pids = [await agentPid(repo, 1), await agentPid(repo, 2)];
    expect(pids).toHaveLength(2);

    term.sendKeys('q');
    const dialog = await term.waitForText(['2 agents are running', /d\s+detach/, /s\s+stop all/, /esc\s+cancel/]);
    expect(dialog).toMatch(VIEW_TABS);
    term.sendKeys('d');
    expect(await terminalProblems(term, modesBefore)).toEqual([]);

    for (const pid of pids) expect(isAlive(pid), `agent pid ${pid} alive`).toBe(true);
    const st = await status(repo);
    expect(st.tasks.map((t) => [t.id, t.state, t.sessions.length, t.sessions[0]!.pid])).toEqual([
      [1, 'running', 1, pids[0]],
      [2, 'running', 1, pids[1]],
    ]);

    await openCockpit(term);
    const again = await term.waitForText(['#1 · first · fake', '#2 · second · fake', 'got: before quitting', 'second is working']);
    expect(again, 'the same agents, not restarted').not.toContain('run 2');
  });

  it('q then esc cancels: the cockpit stays', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'worker', ['@print still here', '@stay']);
    const term = await e2e.cockpit(repo);
    await term.waitForText('still here');

    term.sendKeys('q');
    await term.waitForText(/esc\s+cancel/);
    term.sendKeys('Escape');
    await term.waitForScreen((s) => !/esc\s+cancel/.test(s) && s.includes('still here'), 'the dialog gone and the panes back');
    expect(term.format('#{pane_current_command}')).not.toBe('bash');
  });

  it('q then s asks first, then stops every agent and the supervisor', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'doomed', ['@print about to be stopped', '@stay']);
    const term = await e2e.cockpit(repo);
    await term.waitForText('about to be stopped');
    const pid = await agentPid(repo, 1);
    const supervisor = daemonPid(repo.dir)!;
    expect(isAlive(supervisor)).toBe(true);

    term.sendKeys('q');
    await term.waitForText(/s\s+stop all/);
    term.sendKeys('s');
    // Destructive: it asks first.
    await term.waitForText(['Stop every agent', /y\s+yes/]);
    expect(isAlive(pid)).toBe(true);
    term.sendKeys('y');
    await term.waitForShell();

    await waitFor(() => !isAlive(pid) && !isAlive(supervisor), { what: `agent pid ${pid} and supervisor pid ${supervisor} to exit` });
  });

  // Guards a regression: after "stop all", Ink's last frame and the store update of the closed
  // connection re-armed the grid's frame timer, which drew onto the shell's screen after the
  // terminal was restored (components/grid/compositor.ts dispose(), components/tui/run.tsx).
  // It was a race (4 in 5 rounds showed it): four rounds.
  it('q then s restores the terminal: nothing of the cockpit is left on the shell screen', async () => {
    const repo = e2e.repo();
    const term = await e2e.terminal(repo.dir);
    const modesBefore = term.modes();
    const rounds: string[][] = [];
    for (let round = 1; round <= 4; round++) {
      await addTask(repo, `doomed ${round}`, [`@print round ${round} about to be stopped`, '@stay']);
      await openCockpit(term);
      await term.waitForText(`round ${round} about to be stopped`);
      term.sendKeys('q');
      await term.waitForText(/s\s+stop all/);
      term.sendKeys('s');
      await term.waitForText(['Stop every agent', /y\s+yes/]);
      term.sendKeys('y');
      rounds.push(await terminalProblems(term, modesBefore));
      term.run('clear');
      await term.waitForScreen((s) => s.trim() === PROMPT.trim(), 'a cleared screen');
    }
    expect(rounds).toEqual([[], [], [], []]);
    // Four cockpits and four supervisors in turn: 45 s alone, over the 60 s default at load 20.
  }, 240_000);
});
