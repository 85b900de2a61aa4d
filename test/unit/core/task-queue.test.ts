import { describe, expect, it } from 'vitest';
import { emptyState } from '../../../src/core/state.js';
import { addTask, moveTask, orderedTasks, transition, validateTaskInput } from '../../../src/core/task-queue.js';
import { branchName, MAX_PROMPT_BYTES, promptRef, slugify } from '../../../src/core/task.js';
import { stateWith, T0 } from './build.js';

const AGENTS = ['claude', 'shell'];

describe('validateTaskInput', () => {
  const s = stateWith([{}, {}]);
  it.each([
    ['an empty title', { title: '   ', agent: 'shell' }, /needs a title/],
    ['an unknown risk', { title: 'x', agent: 'shell', risk: 'extreme' as never }, /Unknown risk "extreme": use low, medium or high/],
    ['an unknown agent', { title: 'x', agent: 'gpt' }, /Unknown agent "gpt".*claude, shell/],
    ['an unknown dependency', { title: 'x', agent: 'shell', after: [9] }, /there is no task #9/],
    ['a dependency on itself', { title: 'x', agent: 'shell', after: [3] }, /cycle: #3 -> #3/],
    ['a multi-line title', { title: 'a\nb', agent: 'shell' }, /one line/],
    ['a NUL in the title', { title: 'ab\0c', agent: 'shell' }, /^The title contains a NUL byte at byte offset 2: remove it/],
    ['a NUL in the prompt, after multi-byte text', { title: 'x', prompt: 'é\n\0rest', agent: 'shell' }, /^The prompt contains a NUL byte at byte offset 3/],
    ['a NUL in a write pattern', { title: 'x', agent: 'shell', writes: ['src/a\0'] }, /^--writes "src\/a\\u0000" contains a NUL byte at byte offset 5/],
    ['a NUL in a read pattern', { title: 'x', agent: 'shell', reads: ['\0'] }, /^--reads "\\u0000" contains a NUL byte at byte offset 0/],
    [
      'a prompt past the limit',
      { title: 'x', prompt: 'é'.repeat(MAX_PROMPT_BYTES / 2 + 1), agent: 'shell' },
      /^The prompt is 4\.0 MiB \(4194306 bytes\); muster takes prompts up to 4\.0 MiB\. Put the material in a file/,
    ],
  ])('refuses %s as bad input', (_name, input, message) => {
    const r = validateTaskInput(s, input, AGENTS);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('bad-input');
      expect(r.error.message).toMatch(message);
    }
  });

  it('refuses a cycle through existing tasks', () => {
    // #1 -> #2 -> #1 cannot be made by adding tasks, so build the graph directly.
    const cyclic = { ...s, tasks: s.tasks.map((t) => (t.id === 1 ? { ...t, after: [3] } : t)) };
    const r = validateTaskInput(cyclic, { title: 'x', agent: 'shell', after: [1] }, AGENTS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/cycle: #3 -> #1 -> #3|cycle: #1 -> #3 -> #1/);
  });

  it('accepts known dependencies and trims the title', () => {
    const r = validateTaskInput(s, { title: '  Fix it ', agent: 'shell', after: [1, 2] }, AGENTS);
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ title: 'Fix it' }) });
  });

  it('takes a prompt of exactly the limit, and gives the title as the prompt when there is none', () => {
    expect(validateTaskInput(s, { title: 'x', prompt: 'a'.repeat(MAX_PROMPT_BYTES), agent: 'shell' }, AGENTS).ok).toBe(true);
    expect(validateTaskInput(s, { title: ' Fix it ', agent: 'shell' }, AGENTS)).toEqual({ ok: true, value: expect.objectContaining({ prompt: 'Fix it' }) });
  });
});

describe('addTask', () => {
  it('gives sequential ids, appends to the queue, and defaults prompt and risk', () => {
    const a = addTask(emptyState(), { title: 'One', agent: 'shell' }, T0);
    const b = addTask(a.state, { title: 'Two', agent: 'shell', prompt: 'do two', risk: 'low' }, T0);
    expect([a.task.id, b.task.id]).toEqual([1, 2]);
    expect(b.state.order).toEqual([1, 2]);
    expect(a.task).toMatchObject({ prompt: { file: 'tasks/1/prompt.txt', bytes: 3, preview: 'One' }, risk: 'medium', state: 'ready' });
    expect(b.task).toMatchObject({ prompt: { file: 'tasks/2/prompt.txt', bytes: 6, preview: 'do two' }, risk: 'low' });
  });

  it('keeps only a reference to the prompt: its file, its size in bytes and its first line', () => {
    const long = `\n\n  ${'x'.repeat(300)}\nsecond line`;
    expect(promptRef(4, long)).toEqual({ file: 'tasks/4/prompt.txt', bytes: Buffer.byteLength(long), preview: `${'x'.repeat(119)}…` });
    expect(promptRef(5, '😀'.repeat(100)).preview).toBe(`${'😀'.repeat(59)}…`);
    expect(promptRef(6, 'héllo 😀').bytes).toBe(Buffer.byteLength('héllo 😀'));
  });

  it('puts a task whose dependency is not merged in the backlog with the reason', () => {
    const s = stateWith([{}, { after: [1] }]);
    expect(s.tasks[1]).toMatchObject({ state: 'backlog', reason: 'waits for #1' });
  });

  it('makes a backlog task ready when its dependency merges, and says when a dependency was cancelled', () => {
    let s = stateWith([{ state: 'merging' }, { after: [1] }, { state: 'running' }, { after: [3] }]);
    const merged = transition(s, 1, 'merged', T0);
    expect(merged.ok).toBe(true);
    if (merged.ok) s = merged.value;
    expect(s.tasks[1]).toMatchObject({ state: 'ready', reason: null });
    const cancelled = transition(s, 3, 'cancelled', T0);
    if (cancelled.ok) s = cancelled.value;
    expect(s.tasks[3]).toMatchObject({ state: 'backlog', reason: 'waits for #3 (cancelled)' });
  });
});

describe('transition', () => {
  it('refuses a move the state machine does not have', () => {
    const s = stateWith([{ state: 'merged' }]);
    const r = transition(s, 1, 'running', T0);
    expect(r).toEqual({ ok: false, error: { kind: 'invalid-state', message: 'Task #1 is merged; it cannot become running.' } });
  });

  it('refuses an unknown task as not found', () => {
    const r = transition(emptyState(), 4, 'ready', T0);
    expect(r.ok || r.error.kind).toBe('not-found');
  });
});

describe('moveTask', () => {
  const s = stateWith([{}, {}, {}, { state: 'merged' }, {}]);
  const ids = (st: typeof s) => orderedTasks(st).map((t) => t.id);
  it.each([
    [3, { kind: 'up' } as const, [1, 3, 2, 5, 4]],
    [1, { kind: 'up' } as const, [1, 2, 3, 5, 4]],
    [1, { kind: 'down' } as const, [2, 1, 3, 5, 4]],
    [5, { kind: 'top' } as const, [5, 1, 2, 3, 4]],
    [1, { kind: 'to', position: 3 } as const, [2, 3, 1, 5, 4]],
  ])('moves #%i %o', (id, move, expected) => {
    const r = moveTask(s, id, move);
    expect(r.ok && ids(r.value)).toEqual(expected);
  });

  it('refuses a position outside the queue and a task that left it', () => {
    const far = moveTask(s, 1, { kind: 'to', position: 9 });
    expect(!far.ok && far.error).toMatchObject({ kind: 'bad-input', message: '--to takes a position from 1 to 4, not 9.' });
    const merged = moveTask(s, 4, { kind: 'top' });
    expect(!merged.ok && merged.error.kind).toBe('invalid-state');
  });
});

describe('branch names', () => {
  it('reduces titles to [a-z0-9-] so no shell or ref syntax survives', () => {
    expect(slugify('Fix `rm -rf /`; echo $(whoami) & ÜBER..lock')).toBe('fix-rm-rf-echo-whoami-uber-lock');
    expect(branchName(7, '***')).toBe('muster/7-task');
    expect(slugify('a'.repeat(100))).toHaveLength(40);
  });
});
