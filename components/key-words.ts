import { displayKey, keysFor, type CommandId, type KeyBinding } from '../src/keymap/index.js';

/**
 * The key that runs a command, as the cockpit's texts name it: the first one the key map binds
 * (a `keys:` override included), or null when the command has no key, so the text can leave
 * the hint out rather than name a key that does something else.
 */
export function boundKey(bindings: readonly KeyBinding[], id: CommandId): string | null {
  const key = keysFor(bindings, id)[0];
  return key === undefined ? null : displayKey(key);
}

/** "K does this" for each command that has a key, joined: "n adds a task; 2 shows the queue". */
export function keyHints(bindings: readonly KeyBinding[], hints: readonly [CommandId, string][]): string {
  return hints
    .flatMap(([id, does]) => {
      const key = boundKey(bindings, id);
      return key === null ? [] : [`${key} ${does}`];
    })
    .join('; ');
}

/** What the agents view says when it has no agent to show. */
export function noAgentsText(bindings: readonly KeyBinding[]): string {
  const hints = keyHints(bindings, [
    ['task.new', 'adds a task'],
    ['view.tasks', 'shows the queue'],
  ]);
  return `No agent is running.${hints ? ` ${hints}.` : ''}`;
}

/** What the tasks view says when there is no task. */
export function noTasksText(bindings: readonly KeyBinding[]): string {
  const key = boundKey(bindings, 'task.new');
  return `No tasks yet.${key ? ` ${key} adds one.` : ''}`;
}

/** An agent idle with commits on its branch, as its list row (`row`) or pane title says it, with the key that sends it to review. */
export function idleWithWorkText(bindings: readonly KeyBinding[], style: 'row' | 'title'): string {
  const key = boundKey(bindings, 'task.done');
  if (key === null) return 'idle with work';
  return style === 'row' ? `idle with work (${key}: review)` : `idle with work · ${key}: review`;
}
