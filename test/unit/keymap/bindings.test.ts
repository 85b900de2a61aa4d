import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BINDINGS,
  KEY_CONTEXTS,
  MODAL_CONTEXTS,
  findClashes,
  parseKeySpec,
  resolveKey,
  type CommandId,
  type KeyContext,
} from '../../../src/keymap/index.js';

const ids = DEFAULT_BINDINGS.map((b) => b.id);

describe('the default key map', () => {
  it('gives every command its own id', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never lets two commands answer the same key where both are heard', () => {
    expect(findClashes(DEFAULT_BINDINGS)).toEqual([]);
  });

  it('takes a global key over in a context only where a binding says so', () => {
    for (const binding of DEFAULT_BINDINGS) {
      for (const shadowed of binding.shadows ?? []) {
        const global = DEFAULT_BINDINGS.find((b) => b.id === shadowed);
        expect(global?.contexts, `${binding.id} shadows ${shadowed}`).toEqual(['global']);
      }
    }
  });

  it('writes every key in its canonical spelling', () => {
    for (const binding of DEFAULT_BINDINGS) {
      for (const key of binding.keys) expect(parseKeySpec(key), `${binding.id}: ${key}`).toEqual({ ok: true, key });
    }
  });

  it('keeps global commands out of every other context, so "where" is never ambiguous', () => {
    for (const binding of DEFAULT_BINDINGS) {
      if (binding.contexts.includes('global')) expect(binding.contexts).toEqual(['global']);
      expect(binding.contexts.length).toBeGreaterThan(0);
    }
  });

  it('asks for confirmation before cancelling a task, undoing a merge, stealing a lock or stopping every agent', () => {
    const dangerous = DEFAULT_BINDINGS.filter((b) => b.dangerous === true).map((b) => b.id);
    expect(dangerous.sort()).toEqual(['lock.steal', 'merge.undo', 'quit.stop-all', 'task.cancel']);
  });

  it.each<[KeyContext, string, CommandId]>([
    ['global', '1', 'view.agents'],
    ['tasks', '6', 'view.context'],
    ['global', '?', 'app.help'],
    ['agents', 'q', 'app.quit'],
    ['agents', 'enter', 'agent.attach'],
    ['merges', 'enter', 'merge.diff'],
    ['context', 'enter', 'context.ack'],
    ['context', 'a', 'context.ack'],
    ['tasks', 'a', 'task.reassign'],
    ['tasks', 'K', 'queue.move-up'],
    ['tasks', 'J', 'queue.move-down'],
    ['tasks', 'k', 'nav.up'],
    ['tasks', 'j', 'nav.down'],
    ['locks', 'h', 'nav.left'],
    ['locks', 'right', 'nav.right'],
    ['agents', 'tab', 'nav.next-pane'],
    ['merges', 'p', 'dispatch.toggle'],
    ['agents', 'x', 'task.cancel'],
    ['tasks', 'r', 'task.retry'],
    ['agents', 'r', 'task.retry'],
    ['merges', 'r', 'merge.reject'],
    ['tasks', 'd', 'task.done'],
    ['merges', 'y', 'merge.approve'],
    ['merges', 's', 'merge.skip'],
    ['merges', 'u', 'merge.undo'],
    ['quit', 'd', 'quit.detach'],
    ['quit', 'enter', 'quit.detach'],
    ['quit', 's', 'quit.stop-all'],
    ['quit', 'esc', 'quit.cancel'],
    ['confirm', 'y', 'confirm.yes'],
    ['confirm', 'n', 'confirm.no'],
    ['confirm', 'esc', 'confirm.no'],
    ['diff', 'pagedown', 'diff.page-down'],
    ['diff', 'home', 'diff.top'],
    ['diff', 'q', 'diff.close'],
    ['attach', 'ctrl+]', 'attach.detach'],
  ])('in the %s context, %s means %s', (context, key, id) => {
    expect(resolveKey(DEFAULT_BINDINGS, context, key)).toBe(id);
  });

  it('lets esc back out of every view, overlay and dialog, but passes it to an attached agent', () => {
    for (const context of KEY_CONTEXTS) {
      const id = resolveKey(DEFAULT_BINDINGS, context, 'esc');
      if (context === 'attach') expect(id).toBeNull();
      else expect(id, context).not.toBeNull();
    }
  });

  it('gives every modal context a key out of it', () => {
    for (const context of MODAL_CONTEXTS) {
      expect(
        DEFAULT_BINDINGS.some((b) => b.contexts.includes(context)),
        context,
      ).toBe(true);
    }
  });
});
