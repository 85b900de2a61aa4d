import type { TaskView } from '../../src/protocol/shapes.js';
import type { FormState } from './cockpit-state.js';

export function newTaskForm(defaultAgent: string): FormState {
  return {
    kind: 'new-task',
    title: 'New task',
    task: null,
    focus: 0,
    error: null,
    fields: [
      { name: 'title', label: 'Title', value: '' },
      { name: 'prompt', label: 'Prompt', value: '', hint: 'what the agent is asked to do (default: the title)' },
      { name: 'agent', label: 'Agent', value: defaultAgent },
      { name: 'writes', label: 'Writes', value: '', hint: 'globs, comma separated: src/auth/**, docs/*.md' },
      { name: 'reads', label: 'Reads', value: '', hint: 'globs, comma separated' },
      { name: 'after', label: 'After', value: '', hint: 'task ids, comma separated: 3, 5' },
      { name: 'risk', label: 'Risk', value: 'medium', hint: 'low | medium | high' },
    ],
  };
}

export function reassignForm(task: TaskView): FormState {
  return { kind: 'reassign', title: `Reassign #${task.id} ${task.title}`, task: task.id, focus: 0, error: null, fields: [{ name: 'agent', label: 'Agent', value: task.agent, hint: 'a configured agent preset' }] };
}

export function rejectForm(task: TaskView): FormState {
  return { kind: 'reject', title: `Reject #${task.id} ${task.title}`, task: task.id, focus: 0, error: null, fields: [{ name: 'feedback', label: 'Feedback', value: '', hint: 'what the agent should change; enter sends it' }] };
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

/** Types into the focused field; backspace removes the last character. */
export function typeInto(form: FormState, text: string | 'backspace'): FormState {
  const fields = form.fields.map((f, i) => {
    if (i !== form.focus) return f;
    return { ...f, value: text === 'backspace' ? f.value.slice(0, -1) : f.value + text };
  });
  return { ...form, fields, error: null };
}

export function focusField(form: FormState, delta: number): FormState {
  const n = form.fields.length;
  return { ...form, focus: (form.focus + delta + n) % n };
}
