import { describe, expect, it } from 'vitest';
import { musterJson } from '../helpers/cli.js';
import { type TaskJson, useE2e } from './cockpit.js';
import type { TmuxTerminal } from './tmux.js';
import { visible } from './tmux.js';

const e2e = useE2e();

/** Pastes `text` the way a terminal does when the program asked for bracketed paste. */
function paste(term: TmuxTerminal, text: string): void {
  term.tmux('set-buffer', '-b', 'e2e-paste', text);
  term.tmux('paste-buffer', '-p', '-d', '-b', 'e2e-paste', '-t', 'e2e');
}

describe('typing into a form in the cockpit', () => {
  it('keeps every key of a chunk, a pasted two-line prompt, and the shell editing keys', async () => {
    const repo = e2e.repo();
    const term = await e2e.cockpit(repo, { cols: 120, rows: 34 });
    term.sendKeys('n');
    await term.waitForText(['New task', 'Title']);

    // Text then tab in one read: the text lands in the title, tab moves to the prompt.
    term.type('Fix the logn\t');
    await term.waitForText(/Title +Fix the logn\s*│/);
    await term.waitForText('what the agent is asked to do');
    paste(term, 'Rename the helper.\nKeep the old name as an alias.');
    await term.waitForText([/Prompt +Rename the helper\.\s*│/, /│ +Keep the old name as an alias\.\s*│/]);

    // Back in the title: left moves the cursor, so the typo is fixed where it is.
    term.sendKeys('BTab');
    term.sendKeys('Left');
    term.type('i');
    await term.waitForText(/Title +Fix the login\s*│/);
    // Three backspaces together remove three characters.
    term.sendKeys('End');
    term.type(' XYZ');
    await term.waitForText(/Title +Fix the login XYZ\s*│/);
    term.sendKeys('BSpace', 'BSpace', 'BSpace');
    term.type('page junk');
    await term.waitForText(/Title +Fix the login page junk\s*│/);
    // ctrl+w deletes the word before the cursor; it never types a letter.
    term.sendKeys('C-w');
    await term.waitForText(/Title +Fix the login page\s*│/);

    // ctrl+u clears a field.
    term.sendKeys('Tab', 'Tab', 'Tab');
    await term.waitForText('globs, comma separated: src/auth/**');
    term.type('oops');
    await term.waitForText(/Writes +oops\s*│/);
    term.sendKeys('C-u');
    term.type('src/auth/**');
    const filled = await term.waitForText(/Writes +src\/auth\/\*\*\s*│/);
    expect(filled, visible(filled)).not.toMatch(/[uw]src/);

    term.sendKeys('Enter');
    await term.waitForText('Added #1 Fix the login page');
    const task = await musterJson<TaskJson & { prompt: string; writes: string[] }>(repo.dir, ['task', 'show', '1']);
    expect({ title: task.title, prompt: task.prompt, writes: task.writes }).toEqual({
      title: 'Fix the login page',
      prompt: 'Rename the helper.\nKeep the old name as an alias.',
      writes: ['src/auth/**'],
    });
  });

  it('reads esc and a key that arrive together as esc, then that key', async () => {
    const repo = e2e.repo();
    const term = await e2e.cockpit(repo, { cols: 120, rows: 30 });
    term.sendKeys('n');
    await term.waitForText('New task');
    // One read: the form closes, and 3 opens the locks view.
    term.sendKeys('Escape', '3');
    const locks = await term.waitForText('No locks are held.');
    expect(locks, visible(locks)).not.toContain('New task');
  });
});
