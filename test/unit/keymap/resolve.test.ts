import { describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS, findClashes, hintsFor, keysFor, resolveKey, type KeyBinding, type KeyContext } from '../../../src/keymap/index.js';

describe('resolveKey', () => {
  it('lets the active context consume a key before the global map hears it', () => {
    // "r" has no global meaning; the view decides which verb it is.
    expect(resolveKey(DEFAULT_BINDINGS, 'merges', 'r')).toBe('merge.reject');
    expect(resolveKey(DEFAULT_BINDINGS, 'tasks', 'r')).toBe('task.retry');
    expect(resolveKey(DEFAULT_BINDINGS, 'locks', 'r')).toBeNull();
  });

  it('falls through to global commands from a view', () => {
    expect(resolveKey(DEFAULT_BINDINGS, 'merges', '2')).toBe('view.tasks');
    expect(resolveKey(DEFAULT_BINDINGS, 'conflicts', 'n')).toBe('task.new');
  });

  it.each<[KeyContext, string, string]>([
    ['form', 'q', 'typing q into the feedback form does not quit'],
    ['form', 'n', 'typing n into a form does not open another form'],
    ['confirm', '1', 'a view key does not leave a confirmation unanswered'],
    ['quit', 'p', 'the quit dialog does not pause dispatch'],
    ['diff', '5', 'the diff does not switch views under itself'],
    ['attach', 'q', 'q goes to the attached agent'],
    ['attach', 'ctrl+c', 'ctrl+c interrupts the attached agent, not muster'],
    ['help', 'x', 'the help overlay never cancels a task'],
  ])('keeps the modal %s context from falling through to %s (%s)', (context, key) => {
    expect(resolveKey(DEFAULT_BINDINGS, context, key)).toBeNull();
  });

  it('answers a key the context rebinds with the context command even when a global one shares it', () => {
    const table: KeyBinding[] = [
      { id: 'app.quit', keys: ['q'], description: 'Quit', group: 'General', contexts: ['global'] },
      { id: 'diff.close', keys: ['q'], description: 'Back', group: 'Diff', contexts: ['merges'], shadows: ['app.quit'] },
    ];
    expect(resolveKey(table, 'merges', 'q')).toBe('diff.close');
    expect(resolveKey(table, 'tasks', 'q')).toBe('app.quit');
    expect(findClashes(table)).toEqual([]);
  });

  it('reports a context key that hides a global one without saying so', () => {
    const table: KeyBinding[] = [
      { id: 'app.quit', keys: ['q'], description: 'Quit', group: 'General', contexts: ['global'] },
      { id: 'merge.skip', keys: ['q'], description: 'Skip', group: 'Merges', contexts: ['merges'] },
    ];
    expect(findClashes(table)).toEqual([{ key: 'q', ids: ['merge.skip', 'app.quit'], contexts: ['merges'] }]);
  });
});

describe('keysFor', () => {
  it('gives the detach key attach mode scans for', () => {
    expect(keysFor(DEFAULT_BINDINGS, 'attach.detach')).toEqual(['ctrl+]']);
  });
});

describe('hintsFor', () => {
  it('shows the merge verbs first in the merges view, then help and quit', () => {
    const hints = hintsFor(DEFAULT_BINDINGS, 'merges').map((h) => `${h.key} ${h.label}`);
    expect(hints.slice(0, 7)).toEqual(['K move up', 'J move down', 'enter diff', 'y approve', 'r reject', 's skip', 'u undo']);
    expect(hints).toContain('? help');
    expect(hints).toContain('q quit');
  });

  it('keeps the detach key visible while attached, and nothing else', () => {
    expect(hintsFor(DEFAULT_BINDINGS, 'attach')).toEqual([{ id: 'attach.detach', key: 'ctrl+]', label: 'detach' }]);
  });

  it('offers only the dialog answers in a confirmation', () => {
    expect(hintsFor(DEFAULT_BINDINGS, 'confirm').map((h) => `${h.key} ${h.label}`)).toEqual(['y yes', 'n no']);
  });

  it('never advertises a global key that the context has taken over', () => {
    const table: KeyBinding[] = [
      { id: 'app.quit', keys: ['q', 'ctrl+c'], description: 'Quit', hint: 'quit', group: 'General', contexts: ['global'] },
      { id: 'diff.close', keys: ['q'], description: 'Back', hint: 'back', group: 'Diff', contexts: ['merges'], shadows: ['app.quit'] },
    ];
    expect(hintsFor(table, 'merges').map((h) => `${h.key} ${h.label}`)).toEqual(['q back', 'ctrl+c quit']);
  });
});
