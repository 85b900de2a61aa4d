import type { TaskView } from '../../src/protocol/shapes.js';
import type { FormField, FormState } from './cockpit-state.js';

export const RISK_OPTIONS = ['low', 'medium', 'high'] as const;

/** The agent presets to offer: the configured ones, with `current` first among equals. */
function agentOptions(agents: readonly string[], current: string): string[] {
  return agents.includes(current) ? [...agents] : [current, ...agents];
}

export function newTaskForm(defaultAgent: string, agents: readonly string[] = []): FormState {
  return {
    kind: 'new-task',
    title: 'New task',
    task: null,
    focus: 0,
    error: null,
    fields: [
      { name: 'title', label: 'Title', value: '' },
      { name: 'prompt', label: 'Prompt', value: '', multiline: true, hint: 'what the agent is asked to do (default: the title); alt+enter starts a new line' },
      { name: 'agent', label: 'Agent', value: defaultAgent, options: agentOptions(agents, defaultAgent), hint: '←/→ or a first letter chooses' },
      { name: 'writes', label: 'Writes', value: '', hint: 'globs, comma separated: src/auth/**, docs/*.md' },
      { name: 'reads', label: 'Reads', value: '', hint: 'globs, comma separated' },
      { name: 'after', label: 'After', value: '', hint: 'task ids, comma separated: 3, 5' },
      { name: 'risk', label: 'Risk', value: 'medium', options: RISK_OPTIONS, hint: 'low runs without its locks, high runs alone and needs your approval' },
    ],
  };
}

export function reassignForm(task: TaskView, agents: readonly string[] = []): FormState {
  return {
    kind: 'reassign',
    title: `Reassign #${task.id} ${task.title}`,
    task: task.id,
    focus: 0,
    error: null,
    fields: [
      {
        name: 'agent',
        label: 'Agent',
        value: task.agent,
        options: agentOptions(agents, task.agent),
        hint: '←/→ or a first letter chooses a configured agent preset',
      },
    ],
  };
}

export function rejectForm(task: TaskView): FormState {
  return {
    kind: 'reject',
    title: `Reject #${task.id} ${task.title}`,
    task: task.id,
    focus: 0,
    error: null,
    fields: [
      { name: 'feedback', label: 'Feedback', value: '', multiline: true, hint: 'what the agent should change; enter sends it, alt+enter starts a new line' },
    ],
  };
}

export function fieldValue(form: FormState, name: string): string {
  return form.fields.find((f) => f.name === name)?.value.trim() ?? '';
}

export function listValue(form: FormState, name: string): string[] {
  return fieldValue(form, name)
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function focusField(form: FormState, delta: number): FormState {
  const n = form.fields.length;
  return { ...form, focus: (form.focus + delta + n) % n };
}

/** A line-editing action on the focused field (the readline keys: see the key map's form rows). */
export type EditOp =
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'backspace'
  | 'delete'
  | 'kill-start'
  | 'kill-end'
  | 'kill-word'
  | 'word-left'
  | 'word-right'
  | 'newline';

/** Where the cursor of a field is, in characters. */
export function cursorOf(field: FormField): number {
  const length = [...field.value].length;
  return Math.max(0, Math.min(length, field.cursor ?? length));
}

function withField(form: FormState, change: (f: FormField) => FormField): FormState {
  return { ...form, error: null, fields: form.fields.map((f, i) => (i === form.focus ? change(f) : f)) };
}

function edited(f: FormField, chars: string[], cursor: number): FormField {
  return { ...f, value: chars.join(''), cursor };
}

const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/.test(ch);

/** Start of the word before `at`: back over blanks, then over the word (bash's ctrl+w). */
function wordStart(chars: string[], at: number): number {
  let i = at;
  while (i > 0 && isSpace(chars[i - 1])) i--;
  while (i > 0 && !isSpace(chars[i - 1])) i--;
  return i;
}

function wordEnd(chars: string[], at: number): number {
  let i = at;
  while (i < chars.length && isSpace(chars[i])) i++;
  while (i < chars.length && !isSpace(chars[i])) i++;
  return i;
}

function lineStart(chars: string[], at: number): number {
  let i = at;
  while (i > 0 && chars[i - 1] !== '\n') i--;
  return i;
}

function lineEnd(chars: string[], at: number): number {
  let i = at;
  while (i < chars.length && chars[i] !== '\n') i++;
  return i;
}

/** Applies one line-editing action to the focused field; a picker moves its choice instead. */
export function editForm(form: FormState, op: EditOp): FormState {
  const field = form.fields[form.focus];
  if (!field) return form;
  if (field.options) {
    if (op === 'left' || op === 'word-left') return choose(form, -1);
    if (op === 'right' || op === 'word-right') return choose(form, 1);
    return form;
  }
  return withField(form, (f) => {
    const chars = [...f.value];
    const at = cursorOf(f);
    switch (op) {
      case 'left':
        return { ...f, cursor: Math.max(0, at - 1) };
      case 'right':
        return { ...f, cursor: Math.min(chars.length, at + 1) };
      case 'home':
        return { ...f, cursor: lineStart(chars, at) };
      case 'end':
        return { ...f, cursor: lineEnd(chars, at) };
      case 'word-left':
        return { ...f, cursor: wordStart(chars, at) };
      case 'word-right':
        return { ...f, cursor: wordEnd(chars, at) };
      case 'backspace':
        if (at === 0) return f;
        chars.splice(at - 1, 1);
        return edited(f, chars, at - 1);
      case 'delete':
        chars.splice(at, 1);
        return edited(f, chars, at);
      case 'kill-start': {
        const start = lineStart(chars, at);
        chars.splice(start, at - start);
        return edited(f, chars, start);
      }
      case 'kill-end':
        chars.splice(at, lineEnd(chars, at) - at);
        return edited(f, chars, at);
      case 'kill-word': {
        const start = wordStart(chars, at);
        chars.splice(start, at - start);
        return edited(f, chars, start);
      }
      case 'newline':
        if (!f.multiline) return f;
        chars.splice(at, 0, '\n');
        return edited(f, chars, at + 1);
    }
  });
}

/** Moves a picker's choice by `delta`, wrapping around. */
export function choose(form: FormState, delta: number): FormState {
  return withField(form, (f) => {
    const options = f.options ?? [];
    if (!options.length) return f;
    const at = Math.max(0, options.indexOf(f.value));
    return { ...f, value: options[(at + delta + options.length * 2) % options.length]!, cursor: undefined };
  });
}

/**
 * Text typed into the focused field, at its cursor. A picker takes a letter as a choice
 * instead: the next option starting with it.
 */
export function typeText(form: FormState, text: string): FormState {
  const field = form.fields[form.focus];
  if (!field || !text) return form;
  if (field.options) {
    const letter = [...text].at(-1)!.toLowerCase();
    const options = field.options;
    const at = Math.max(0, options.indexOf(field.value));
    for (let step = 1; step <= options.length; step++) {
      const option = options[(at + step) % options.length]!;
      if (option.toLowerCase().startsWith(letter)) return withField(form, (f) => ({ ...f, value: option, cursor: undefined }));
    }
    return form;
  }
  return withField(form, (f) => {
    const chars = [...f.value];
    const at = cursorOf(f);
    const inserted = [...text];
    chars.splice(at, 0, ...inserted);
    return edited(f, chars, at + inserted.length);
  });
}

/**
 * Pasted text into the focused field: line breaks stay in a multi-line field and become spaces
 * in a one-line field; tabs become spaces; other control characters are dropped.
 */
export function pasteText(form: FormState, text: string): FormState {
  const field = form.fields[form.focus];
  if (!field || field.options) return form;
  const lines = text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ');
  const clean = (field.multiline ? lines : lines.replace(/\n+$/, '').replace(/\n/g, ' ')).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return typeText(form, clean);
}
