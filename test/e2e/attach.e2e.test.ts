import { describe, expect, it } from 'vitest';
import { addTask, status, useE2e, VIEW_TABS } from './cockpit.js';
import { lastRow, visible } from './tmux.js';

const e2e = useE2e();

describe('attaching to an agent', () => {
  it('passes typed keys to the agent with enter, and ctrl+] brings the cockpit back with the agent still running', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'listener', ['@print ready to listen', '@wait-input', '@print heard it', '@stay']);
    const term = await e2e.cockpit(repo);
    await term.waitForText(['#1 · listener · fake', 'waiting for input>']);
    // Enter on a settled screen, as a person would: enter pressed while the cockpit is still
    // redrawing can lose the agent's rows (the race below).
    await term.waitForStable();

    term.sendKeys('Enter');
    // Full screen: the agent's screen without the cockpit's header, the detach hint on the bottom row.
    await term.waitForScreen(
      (s) => s.includes('waiting for input>') && !VIEW_TABS.test(s) && lastRow(s).includes('#1 attached') && lastRow(s).includes('ctrl+] detaches'),
      'the agent full-screen with the detach hint',
    );

    term.type('hello from the operator');
    term.sendKeys('Enter');
    const answered = await term.waitForText(['got: hello from the operator', 'heard it']);
    expect(lastRow(answered), 'the detach hint stays visible').toContain('ctrl+] detaches');

    term.sendKeys('C-]');
    // The cockpit is back, its pane showing what happened while attached.
    const cockpit = await term.waitForScreen(
      (s) => VIEW_TABS.test(s) && s.includes('#1 · listener · fake') && s.includes('got: hello from the operator'),
      'the cockpit back after detaching',
    );
    expect(cockpit, visible(cockpit)).not.toContain('#1 attached');

    const t = (await status(repo)).tasks.find((x) => x.id === 1)!;
    expect(t.state).toBe('running');
    expect(t.sessions).toHaveLength(1);
  });

  // Attaching right after the cockpit redrew (within Ink's render throttle) once let Ink's
  // deferred render erase rows of the agent's screen; Ink is now unmounted before the attach.
  it('keeps the whole agent screen when enter follows another key at once', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'one', ['@print agent one listening', '@wait-input', '@stay']);
    await addTask(repo, 'two', ['@print agent two listening', '@wait-input', '@stay']);
    const term = await e2e.cockpit(repo);
    await term.waitForText(['agent one listening', 'agent two listening']);
    const rounds: string[] = [];
    for (let round = 1; round <= 8; round++) {
      const [key, id, text] = round % 2 ? ['j', 2, 'agent two listening'] : ['k', 1, 'agent one listening'];
      term.sendKeys(key);
      term.sendKeys('Enter');
      // Both keys can arrive in one read and be lost (keys.e2e.test.ts): such a round proves nothing.
      const attached = await term.waitForText(`#${id} attached`, { timeout: 3_000 }).then(
        () => true,
        () => false,
      );
      if (!attached) continue;
      const whole = await term.waitForText(text, { timeout: 10_000 }).then(
        () => true,
        () => false,
      );
      rounds.push(whole ? 'whole' : visible(term.capture()));
      term.sendKeys('C-]');
      await term.waitForScreen((s) => VIEW_TABS.test(s) && s.includes('agent one listening') && s.includes('agent two listening'), 'the cockpit back');
    }
    expect(rounds.filter((r) => r !== 'whole')).toEqual([]);
  });
});
