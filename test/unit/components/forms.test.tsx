import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, renderCockpit, type Cockpit } from './cockpit.js';

afterEach(closeCockpits);

/** The text inside the dialog's border, one line per row, without the border or trailing blanks. */
const dialog = (c: Cockpit): string =>
  c
    .frame()
    .split('\n')
    .flatMap((l) => /^│ (.*?) *│$/.exec(l)?.[1] ?? [])
    .join('\n');

async function dialogShows(c: Cockpit, what: RegExp | string): Promise<void> {
  await c.until(() => (typeof what === 'string' ? dialog(c).includes(what) : what.test(dialog(c))), `the dialog to show ${String(what)}`);
}

async function newTask(c: Cockpit): Promise<void> {
  await c.press('n');
  await dialogShows(c, /^New task\nTitle$/m);
}

/** Empties the focused field, then types `text`. */
async function replace(c: Cockpit, length: number, text: string): Promise<void> {
  for (let i = 0; i < length; i++) await c.press('backspace');
  await c.type(text);
}

describe('new task form', () => {
  it('adds a task with every typed field, tab moving from field to field', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Dark mode toggle');
    await c.press('tab');
    await c.type('Add a toggle to the settings page; keep the CSS in variables');
    await c.press('tab');
    // The agent is a picker over the configured presets.
    await c.press('right');
    await c.press('tab');
    await c.type('src/ui/**, docs/*.md');
    await c.press('tab');
    await c.type('src/theme/**');
    await c.press('tab');
    await c.type('4, #5');
    await c.press('tab');
    await c.press('left');
    await dialogShows(
      c,
      /Title {4}Dark mode toggle\nPrompt {3}Add a toggle[\s\S]*Agent {4}codex\nWrites {3}src\/ui\/\*\*, docs\/\*\.md\nReads {4}src\/theme\/\*\*\nAfter {4}4, #5\nRisk {6}‹ low ›/,
    );
    await c.press('enter');
    await c.until(() => c.client.callsOf('task.add').length > 0, 'task.add');
    expect(c.client.callsOf('task.add')).toEqual([
      {
        title: 'Dark mode toggle',
        prompt: 'Add a toggle to the settings page; keep the CSS in variables',
        agent: 'codex',
        writes: ['src/ui/**', 'docs/*.md'],
        reads: ['src/theme/**'],
        after: [4, 5],
        risk: 'low',
      },
    ]);
    await c.waitFor((f) => !f.includes('New task') && f.includes('Added #15 Dark mode toggle (backlog: waits for #4, #5).'));
    await c.goto('tasks');
    await c.waitFor(/^#15 +backlog +low +codex +Dark mode toggle +waits for #4, #5/m);
  });

  it('keeps the form open with the error and everything typed when the supervisor refuses it', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Move assets');
    await c.press('tab', 'tab', 'tab');
    await c.type('../assets/**');
    c.client.refuse('task.add', 'bad-input', '--writes "../assets/**": a path must stay inside the repository.');
    await c.press('enter');
    await dialogShows(c, '--writes "../assets/**": a path must stay inside the repository.');
    expect(dialog(c)).toMatch(/^New task\nTitle {4}Move assets\n[\s\S]*Writes {3}\.\.\/assets\/\*\*$/m);
    await replace(c, '../assets/**'.length, 'assets/**');
    // Typing clears the error; submitting again goes through.
    await c.waitFor((f) => !f.includes('a path must stay inside'));
    await c.press('enter');
    await c.waitFor('Added #15 Move assets (ready).');
    expect(c.client.callsOf('task.add')).toHaveLength(2);
  });

  it('submits once when enter is pressed again while the supervisor is still answering', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Add sitemap');
    const release = c.client.hold('task.add');
    await c.press('enter', 'enter');
    release();
    await c.waitFor('Added #15 Add sitemap (ready).');
    await c.press('enter');
    expect(c.client.callsOf('task.add')).toHaveLength(1);
    expect(c.client.taskViews().filter((t) => t.title === 'Add sitemap')).toHaveLength(1);
  });

  it('refuses an After that is not task ids without asking the supervisor', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Ship it');
    await c.press('shift+tab', 'shift+tab');
    await c.type('after the cart');
    await c.press('enter');
    await dialogShows(c, 'After takes task ids such as 3, 5.');
    expect(dialog(c)).toMatch(/^After {4}after the cart$/m);
    expect(c.client.callsOf('task.add')).toEqual([]);
  });

  it('types keys that are commands elsewhere into the field instead of running them', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('q? x1 jK yes');
    await dialogShows(c, /^Title {4}q\? x1 jK yes$/m);
    expect(c.host).toEqual([]);
    expect(c.currentView()).toBe('agents');
    expect(c.frame()).toContain('New task');
  });

  it('takes pasted text into the field, and backspace removes one character', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.paste('Fix login redirect');
    await dialogShows(c, /^Title {4}Fix login redirect$/m);
    await c.press('backspace', 'backspace');
    await dialogShows(c, /^Title {4}Fix login redire$/m);
  });

  it('keeps the line breaks of a prompt pasted whole (bracketed paste), and enter still submits', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Two-line prompt');
    await c.press('tab');
    await c.paste('Rename the helper.\r\nKeep the old name as an alias.');
    await dialogShows(c, /^Prompt {3}Rename the helper\.\n {9}Keep the old name as an alias\.$/m);
    await c.press('enter');
    await c.until(() => c.client.callsOf('task.add').length > 0, 'task.add');
    expect(c.client.callsOf('task.add')[0]).toMatchObject({ title: 'Two-line prompt', prompt: 'Rename the helper.\nKeep the old name as an alias.' });
  });

  it('joins the lines of a paste into a one-line field with spaces', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.paste('Fix the\nlogin redirect\n');
    await dialogShows(c, /^Title {4}Fix the login redirect$/m);
  });

  it('starts a new line in the prompt with alt+enter', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Plan');
    await c.press('tab');
    await c.type('first');
    await c.press('meta+enter');
    await c.type('second');
    await dialogShows(c, /^Prompt {3}first\n {9}second$/m);
    await c.press('tab');
    await dialogShows(c, /^Prompt {3}first \(\+1 more line\)$/m);
  });

  it('handles every key of a chunk that arrives at once: text then tab, three backspaces', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.send('Fix login\t', 10);
    await dialogShows(c, /^Title {4}Fix login\nPrompt$/m);
    await dialogShows(c, 'what the agent is asked to do');
    await c.send('abcd\x7f\x7f\x7f', 7);
    await dialogShows(c, /^Prompt {3}a$/m);
  });

  it('edits the line as a shell does: left, ctrl+a/e, ctrl+w, ctrl+u, ctrl+k, alt+b', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('helo');
    await c.press('left');
    await c.type('l');
    await dialogShows(c, /^Title {4}hello$/m);
    await c.press('ctrl+a');
    await c.type('say ');
    await c.press('ctrl+e');
    await c.type(' big world');
    await dialogShows(c, /^Title {4}say hello big world$/m);
    await c.press('ctrl+w');
    await dialogShows(c, /^Title {4}say hello big$/m);
    await c.press('meta+b', 'meta+b');
    await c.press('ctrl+k');
    await dialogShows(c, /^Title {4}say$/m);
    await c.press('ctrl+u');
    await dialogShows(c, /^Title$/m);
    expect(c.client.changes()).toEqual([]);
  });

  it('chooses the risk with a first letter', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.type('Risky');
    await c.press('shift+tab');
    await dialogShows(c, 'low · medium · high');
    await c.type('h');
    await c.press('enter');
    await c.until(() => c.client.callsOf('task.add').length > 0, 'task.add');
    expect(c.client.callsOf('task.add')[0]).toMatchObject({ title: 'Risky', risk: 'high' });
  });

  it('shows the hint of the focused field', async () => {
    const c = await renderCockpit();
    await newTask(c);
    await c.press('tab', 'tab', 'tab');
    await dialogShows(c, /^Writes\n {9}globs, comma separated: src\/auth\/\*\*, docs\/\*\.md\nReads$/m);
    expect(dialog(c)).not.toContain('what the agent is asked to do');
  });
});

describe('reassign form', () => {
  it('assigns the selected task to the typed agent', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(4);
    await c.press('a');
    await dialogShows(c, /^Reassign #4 Migrate cart to new pricing\nAgent {5}‹ claude ›$/m);
    await dialogShows(c, 'claude · codex · aider · gemini · shell');
    await c.type('g');
    await dialogShows(c, /^Agent {5}‹ gemini ›$/m);
    await c.press('enter');
    await c.waitFor('#4 is now assigned to gemini.');
    expect(c.client.callsOf('task.assign')).toEqual([{ id: 4, agent: 'gemini' }]);
    await c.waitFor(/^#4 +ready +high +gemini/m);
  });

  it('keeps the form open with the reason when the agent is unknown', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(4);
    await c.press('a');
    await c.waitFor('Reassign #4');
    await c.press('left', 'left');
    await dialogShows(c, /^Agent {5}‹ gemini ›$/m);
    await c.press('left');
    await c.press('enter');
    await dialogShows(c, 'Unknown agent "aider". Configured agents: claude, codex, gemini');
    expect(dialog(c)).toMatch(/^Reassign #4 Migrate cart to new pricing\nAgent {5}‹ aider ›$/m);
  });
});

describe('reject form', () => {
  it('sends the typed feedback with the selected merge back to its agent', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    await c.press('r');
    await dialogShows(c, /^Reject #3 Write API docs for orders\nFeedback\n {9}what the agent should change; enter sends it, alt\+enter starts a new line$/m);
    await c.type('Document the 404 case of GET /orders/:id');
    await c.press('enter');
    await c.waitFor('#3 sent back to its agent with the feedback.');
    expect(c.client.callsOf('merge.reject')).toEqual([{ id: 3, reason: 'Document the 404 case of GET /orders/:id' }]);
    await c.until(() => !c.frame().includes('Write API docs for orders'), '#3 gone from the merge queue');
  });
});
