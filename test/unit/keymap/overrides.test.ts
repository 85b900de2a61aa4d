import { describe, expect, it } from 'vitest';
import { DEFAULT_BINDINGS, applyOverrides, bytesForKey, keysFor, resolveKey, type KeyBinding } from '../../../src/keymap/index.js';

function apply(overrides: Record<string, string>): readonly KeyBinding[] {
  const result = applyOverrides(DEFAULT_BINDINGS, overrides);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.bindings;
}

function problems(overrides: Record<string, string>): string[] {
  const result = applyOverrides(DEFAULT_BINDINGS, overrides);
  return result.ok ? [] : result.problems;
}

describe('applyOverrides', () => {
  it('moves detach to the key the config names', () => {
    const bindings = apply({ detach: 'C-b' });
    expect(resolveKey(bindings, 'attach', 'ctrl+b')).toBe('attach.detach');
    expect(resolveKey(bindings, 'attach', 'ctrl+]')).toBeNull();
    expect(bytesForKey(keysFor(bindings, 'attach.detach')[0] ?? '')).toBe('\x02');
  });

  it.each([['detach'], ['attach.detach']])('accepts %s as the name of the detach key', (name) => {
    expect(keysFor(apply({ [name]: '^b' }), 'attach.detach')).toEqual(['ctrl+b']);
  });

  it('accepts the last part of an id when only one command has it', () => {
    expect(resolveKey(apply({ approve: 'A' }), 'merges', 'A')).toBe('merge.approve');
  });

  it('takes several space-separated keys, and "none" to unbind', () => {
    const bindings = apply({ 'nav.up': 'up ctrl+p', 'nav.page-up': 'none' });
    expect(keysFor(bindings, 'nav.up')).toEqual(['up', 'ctrl+p']);
    expect(resolveKey(bindings, 'tasks', 'k')).toBeNull();
    expect(resolveKey(bindings, 'tasks', 'pageup')).toBeNull();
  });

  it('leaves the defaults alone when the config has no keys', () => {
    expect(apply({})).toEqual(DEFAULT_BINDINGS);
    expect(keysFor(DEFAULT_BINDINGS, 'attach.detach')).toEqual(['ctrl+]']);
  });

  it('does not change the default map it was given', () => {
    apply({ detach: 'ctrl+b' });
    expect(keysFor(DEFAULT_BINDINGS, 'attach.detach')).toEqual(['ctrl+]']);
  });

  it('names an unknown id, suggests the near one and lists the valid ids', () => {
    const [problem] = problems({ detatch: 'ctrl+b' });
    expect(problem).toMatch(/^keys\.detatch: no such action; did you mean detach\? expected one of detach, app\.help,/);
    expect(problem).toContain('merge.approve');
  });

  it('asks for the full id when a short one is ambiguous', () => {
    expect(problems({ cancel: 'C' })).toEqual(['keys.cancel: ambiguous; write one of task.cancel, form.cancel, quit.cancel']);
  });

  it('names an unreadable key and says what keys look like', () => {
    const [problem] = problems({ 'merge.approve': 'ctrl+foo' });
    expect(problem).toMatch(/^keys\.merge\.approve: unknown key "ctrl\+foo": expected a single character/);
  });

  it.each([['x'], ['enter'], ['up'], ['none']])('refuses %s as the detach key, which the agent would lose', (spec) => {
    expect(problems({ detach: spec })).toEqual([
      `keys.detach: expected a ctrl key that agents rarely use, such as ctrl+] or ctrl+\\ (every other key goes to the attached agent); received "${spec}"`,
    ]);
  });

  it('reports a key that would make two commands of one view share it', () => {
    expect(problems({ 'task.cancel': 'r' })).toEqual([
      'keys.task.cancel: r is also task.retry (Retry the selected task: send it back to an agent) in the agents view, tasks view; choose another key or rebind task.retry too',
    ]);
  });

  it('reports a global key that a view already uses for something else', () => {
    expect(problems({ help: 'y' })).toEqual([
      'keys.help: y is also merge.approve (Approve: merge, run the quality gates, land if they pass) in the merges view; choose another key or rebind merge.approve too',
    ]);
  });

  it('reports two global commands on one key as a clash in every view', () => {
    expect(problems({ 'task.new': 'p' })[0]).toMatch(/^keys\.task\.new: p is also dispatch\.toggle .* in every view;/);
  });

  it('allows a swap when both sides are rebound', () => {
    const bindings = apply({ 'merge.approve': 's', 'merge.skip': 'y' });
    expect(resolveKey(bindings, 'merges', 's')).toBe('merge.approve');
  });

  it('lets a dialog reuse a global key, since dialogs never hear global keys', () => {
    const bindings = apply({ 'confirm.yes': 'p' });
    expect(resolveKey(bindings, 'confirm', 'p')).toBe('confirm.yes');
    expect(resolveKey(bindings, 'tasks', 'p')).toBe('dispatch.toggle');
  });

  it('refuses to unbind every key of a dialog, which would trap the operator in it', () => {
    expect(problems({ 'confirm.yes': 'none', 'confirm.no': 'none' })).toEqual([
      'keys.confirm.yes, keys.confirm.no: would leave the confirmation with no key to answer or leave it; keep one bound',
    ]);
    expect(problems({ 'confirm.no': 'none' })).toEqual([]);
  });

  it('reports every problem at once', () => {
    expect(problems({ nope: 'x', 'merge.skip': 'F5', detach: 'q' })).toHaveLength(3);
  });

  it('refuses the same command set twice under two names', () => {
    expect(problems({ detach: 'ctrl+b', 'attach.detach': 'ctrl+a' })).toEqual(['keys.attach.detach: sets attach.detach again, as keys.detach does; keep one']);
  });
});
