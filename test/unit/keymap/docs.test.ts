import { describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS, applyOverrides, helpSections, keymapMarkdown } from '../../../src/keymap/index.js';

describe('helpSections', () => {
  it('lists every bound command once, grouped in table order', () => {
    const sections = helpSections(DEFAULT_BINDINGS);
    expect(sections.map((s) => s.group)).toEqual([
      'General',
      'Views',
      'Navigation',
      'Tasks',
      'Agents',
      'Merges',
      'Shared context',
      'Locks',
      'Diff',
      'Task detail',
      'Dialogs',
      'Text fields',
      'Reconnecting',
      'Scrollback',
    ]);
    expect(sections.flatMap((s) => s.rows.map((r) => r.id))).toEqual(DEFAULT_BINDINGS.map((b) => b.id));
  });

  it('shows the keys as the operator presses them and flags what asks first', () => {
    const rows = helpSections(DEFAULT_BINDINGS).flatMap((s) => s.rows);
    expect(rows.find((r) => r.id === 'nav.up')).toMatchObject({ keys: '↑ / k', description: 'Move up', dangerous: false });
    expect(rows.find((r) => r.id === 'task.cancel')).toMatchObject({ keys: 'x', where: 'agents view, tasks view', dangerous: true });
  });

  it('shows the keys of the live map after overrides', () => {
    const result = applyOverrides(DEFAULT_BINDINGS, { detach: 'ctrl+b' });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const rows = helpSections(result.bindings).flatMap((s) => s.rows);
    expect(rows.find((r) => r.id === 'attach.detach')?.keys).toBe('ctrl+b');
  });

  it('explains only the keys that work in the given context', () => {
    const rows = helpSections(DEFAULT_BINDINGS, 'merges').flatMap((s) => s.rows.map((r) => r.id));
    expect(rows).toContain('merge.approve');
    expect(rows).toContain('app.quit');
    expect(rows).not.toContain('task.cancel');
    expect(helpSections(DEFAULT_BINDINGS, 'confirm').flatMap((s) => s.rows.map((r) => r.id))).toEqual(['confirm.yes', 'confirm.no']);
  });
});

describe('keymapMarkdown', () => {
  const markdown = keymapMarkdown(DEFAULT_BINDINGS);

  it('lists every binding with its id, so the README shows what keys: can rebind', () => {
    for (const binding of DEFAULT_BINDINGS) {
      expect(markdown).toContain(`| \`${binding.id}\` |`);
      expect(markdown).toContain(binding.description);
    }
  });

  it('says which actions ask for confirmation', () => {
    const lines = markdown.split('\n').filter((l) => l.includes('asks y/n first'));
    expect(lines.map((l) => /`([a-z.-]+)` \|$/.exec(l)?.[1])).toEqual(['task.cancel', 'merge.undo', 'lock.steal', 'quit.stop-all']);
  });

  it('renders one table per group with the keys, action, where and notes columns', () => {
    expect(markdown).toContain('### Merges\n\n| Keys | Action | Where | Notes | Id (for `keys:`) |\n| --- | --- | --- | --- | --- |\n');
    expect(markdown).toContain('| `y` | Approve: merge, run the quality gates, land if they pass | merges view |  | `merge.approve` |');
    expect(markdown).toContain('| `↑` `k` | Move up | any view |  | `nav.up` |');
  });

  it('is the same text every time, so the README does not churn', () => {
    expect(keymapMarkdown(DEFAULT_BINDINGS)).toBe(markdown);
  });

  it('escapes keys that would break a table cell', () => {
    const result = applyOverrides(DEFAULT_BINDINGS, { 'nav.top': '| `' });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(keymapMarkdown(result.bindings)).toContain('| `\\|` `` ` `` | Go to the first item |');
  });
});
