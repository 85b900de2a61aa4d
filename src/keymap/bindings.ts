/**
 * Where a binding is heard. `global` is every view; the views are `agents` … `context`; the
 * rest are modes that take over the keyboard (see `MODAL_CONTEXTS`).
 */
export type KeyContext =
  | 'global'
  | 'agents'
  | 'tasks'
  | 'locks'
  | 'conflicts'
  | 'merges'
  | 'context'
  | 'diff'
  | 'help'
  | 'form'
  | 'confirm'
  | 'quit'
  | 'attach'
  | 'detail'
  | 'offline'
  | 'scrollback';

/** A section of the help overlay and of the README's key table. */
export type KeyGroup =
  | 'General'
  | 'Views'
  | 'Navigation'
  | 'Tasks'
  | 'Agents'
  | 'Merges'
  | 'Shared context'
  | 'Locks'
  | 'Diff'
  | 'Task detail'
  | 'Dialogs'
  | 'Text fields'
  | 'Reconnecting'
  | 'Scrollback';

/** Every context, in the order docs list them. */
export const KEY_CONTEXTS: readonly KeyContext[] = [
  'global',
  'agents',
  'tasks',
  'locks',
  'conflicts',
  'merges',
  'context',
  'diff',
  'help',
  'form',
  'confirm',
  'quit',
  'attach',
  'detail',
  'offline',
  'scrollback',
];

/**
 * Contexts that own the keyboard: a key they do not bind is theirs to ignore (or, for `form`,
 * to type and, for `attach`, to pass to the agent), never a global command. Typing "q" into a
 * feedback form must not quit, and `n` answers a confirmation instead of opening a new task.
 */
export const MODAL_CONTEXTS: ReadonlySet<KeyContext> = new Set<KeyContext>([
  'diff',
  'help',
  'form',
  'confirm',
  'quit',
  'attach',
  'detail',
  'offline',
  'scrollback',
]);

/** How each context is named in the "where" column of help and docs. */
export const CONTEXT_LABELS: Readonly<Record<KeyContext, string>> = {
  global: 'any view',
  agents: 'agents view',
  tasks: 'tasks view',
  locks: 'locks view',
  conflicts: 'conflicts view',
  merges: 'merges view',
  context: 'shared context view',
  diff: 'diff',
  help: 'help overlay',
  form: 'forms',
  confirm: 'confirmation',
  quit: 'quit dialog',
  attach: 'attached agent',
  detail: 'task detail',
  offline: 'supervisor gone',
  scrollback: 'scrollback',
};

/** A binding as written in the table; its id is the table key. */
export interface BindingSpec {
  /** Canonical key names (see `KeyName`); the first is the one hints show. Empty: unbound. */
  readonly keys: readonly string[];
  /** What it does, as the help overlay says it. */
  readonly description: string;
  /** A one- or two-word status-line label; bindings without one stay out of the status line. */
  readonly hint?: string;
  readonly group: KeyGroup;
  /** One verb, one id: a task action in both the agents and tasks views is one binding. */
  readonly contexts: readonly KeyContext[];
  /** Hard to undo: the UI asks y/n before running it. */
  readonly dangerous?: boolean;
  /** Shown in the docs' notes column. */
  readonly note?: string;
  /**
   * Ids of global bindings whose key this binding takes over in its contexts on purpose.
   * Any other shared key between a context and `global` is a clash.
   */
  readonly shadows?: readonly string[];
}

const TABLE = {
  'app.help': { keys: ['?'], description: 'Show every key', hint: 'help', group: 'General', contexts: ['global'] },
  'app.quit': {
    keys: ['q', 'ctrl+c'],
    description: 'Quit; asks whether to leave agents running',
    hint: 'quit',
    group: 'General',
    contexts: ['global'],
    note: 'ctrl+c quits the same way: it never kills agents',
  },
  'app.back': { keys: ['esc'], description: 'Back out: clear the message, or go back to the agents view', group: 'General', contexts: ['global'] },

  'view.agents': { keys: ['1'], description: 'Agents: live terminals of running agents', group: 'Views', contexts: ['global'] },
  'view.tasks': { keys: ['2'], description: 'Tasks and the queue', group: 'Views', contexts: ['global'] },
  'view.locks': { keys: ['3'], description: 'File locks', group: 'Views', contexts: ['global'] },
  'view.conflicts': { keys: ['4'], description: 'Conflicts', group: 'Views', contexts: ['global'] },
  'view.merges': { keys: ['5'], description: 'Merge queue', group: 'Views', contexts: ['global'] },
  'view.context': { keys: ['6'], description: 'Shared context and blockers', group: 'Views', contexts: ['global'] },
  'repo.next': {
    keys: [']'],
    description: 'Next repository',
    group: 'Views',
    contexts: ['global'],
    note: 'a cockpit of several repositories: --repo or ~/.config/muster/fleet.yaml',
  },
  'repo.prev': { keys: ['['], description: 'Previous repository', group: 'Views', contexts: ['global'] },

  'nav.up': { keys: ['up', 'k'], description: 'Move up', group: 'Navigation', contexts: ['global'] },
  'nav.down': { keys: ['down', 'j'], description: 'Move down', group: 'Navigation', contexts: ['global'] },
  'nav.left': { keys: ['left', 'h'], description: 'Move left', group: 'Navigation', contexts: ['global'] },
  'nav.right': { keys: ['right', 'l'], description: 'Move right', group: 'Navigation', contexts: ['global'] },
  'nav.next-pane': { keys: ['tab'], description: 'Next pane', group: 'Navigation', contexts: ['global'] },
  'nav.prev-pane': { keys: ['shift+tab'], description: 'Previous pane', group: 'Navigation', contexts: ['global'] },
  'nav.page-up': { keys: ['pageup'], description: 'Page up', group: 'Navigation', contexts: ['global'] },
  'nav.page-down': { keys: ['pagedown'], description: 'Page down', group: 'Navigation', contexts: ['global'] },
  'nav.top': { keys: ['home', 'g'], description: 'Go to the first item', group: 'Navigation', contexts: ['global'] },
  'nav.bottom': { keys: ['end', 'G'], description: 'Go to the last item', group: 'Navigation', contexts: ['global'] },

  'task.new': { keys: ['n'], description: 'New task (form)', hint: 'new task', group: 'Tasks', contexts: ['global'] },
  'dispatch.toggle': { keys: ['p'], description: 'Pause or resume dispatch', hint: 'pause/resume', group: 'Tasks', contexts: ['global'] },
  'task.open': {
    keys: ['enter'],
    description: 'Show the selected task in full: reason, prompt, gate output, conflicts, locks, commits',
    hint: 'details',
    group: 'Tasks',
    contexts: ['tasks', 'conflicts'],
    note: 'in the conflicts view: the tasks of the conflict, tab between them',
  },
  'task.detail': {
    keys: ['v'],
    description: 'Show the selected task in full (from any view that lists tasks)',
    group: 'Tasks',
    contexts: ['agents', 'tasks', 'merges', 'conflicts'],
  },
  'task.reassign': {
    keys: ['a'],
    description: 'Reassign the selected task to another agent',
    hint: 'reassign',
    group: 'Tasks',
    contexts: ['agents', 'tasks'],
    note: 'the new agent starts in the same worktree with a hand-off note',
  },
  'queue.move-up': { keys: ['K'], description: 'Move the selected task up its queue', hint: 'move up', group: 'Tasks', contexts: ['tasks', 'merges'] },
  'queue.move-down': { keys: ['J'], description: 'Move the selected task down its queue', hint: 'move down', group: 'Tasks', contexts: ['tasks', 'merges'] },
  'task.retry': {
    keys: ['r'],
    description: 'Retry the selected task: send it back to an agent',
    hint: 'retry',
    group: 'Tasks',
    contexts: ['agents', 'tasks'],
    note: 'reuses its worktree and branch',
  },
  'task.done': {
    keys: ['d'],
    description: 'Mark the selected task done (to review)',
    hint: 'done',
    group: 'Tasks',
    contexts: ['agents', 'tasks'],
    note: 'sends an agent shown "idle with work" to review',
  },
  'task.cancel': {
    keys: ['x'],
    description: 'Cancel the selected task and stop its agent',
    hint: 'cancel',
    group: 'Tasks',
    contexts: ['agents', 'tasks'],
    dangerous: true,
  },

  'agent.attach': {
    keys: ['enter'],
    description: 'Attach to the selected agent full-screen',
    hint: 'attach',
    group: 'Agents',
    contexts: ['agents'],
    note: 'every key goes to the agent except the detach key',
  },
  'agent.next-waiting': {
    keys: ['w'],
    description: 'Jump to the next agent waiting for input',
    group: 'Agents',
    contexts: ['global'],
    note: 'from any view: opens the agents view on it',
  },
  'agent.reply': {
    keys: ['i'],
    description: 'Reply to the selected agent without attaching: one line typed into its terminal',
    hint: 'reply',
    group: 'Agents',
    contexts: ['agents', 'tasks'],
    note: 'enter sends the line with a return',
  },
  'attach.detach': {
    keys: ['ctrl+]'],
    description: 'Detach from the agent; it keeps running',
    hint: 'detach',
    group: 'Agents',
    contexts: ['attach'],
    note: 'set it with keys.detach; it must be a ctrl key',
  },
  'agent.dismiss': {
    keys: ['D', 'delete'],
    description: "Put away an exited agent's last screen",
    hint: 'dismiss',
    group: 'Agents',
    contexts: ['agents'],
    note: 'exited agents stay in view, with their exit code, until retried, merged or dismissed',
  },

  'merge.diff': { keys: ['enter'], description: 'Show the diff of the selected merge', hint: 'diff', group: 'Merges', contexts: ['merges'] },
  'merge.approve': {
    keys: ['y'],
    description: 'Approve: merge, run the quality gates, land if they pass',
    hint: 'approve',
    group: 'Merges',
    contexts: ['merges'],
  },
  'merge.reject': {
    keys: ['r'],
    description: 'Reject with feedback: send it back to its agent',
    hint: 'reject',
    group: 'Merges',
    contexts: ['merges'],
    note: 'r sends work back in every view; asks for the feedback',
  },
  'merge.skip': { keys: ['s'], description: 'Skip to the next merge', hint: 'skip', group: 'Merges', contexts: ['merges'] },
  'merge.undo': {
    keys: ['u'],
    description: 'Undo the last merge: the target returns to its previous tip',
    hint: 'undo',
    group: 'Merges',
    contexts: ['merges'],
    dangerous: true,
  },

  'context.ack': {
    keys: ['a', 'enter'],
    description: 'Acknowledge the new blockers',
    hint: 'acknowledge',
    group: 'Shared context',
    contexts: ['context'],
  },
  'context.answer': {
    keys: ['r'],
    description: 'Answer the selected blocker: the answer goes under Decisions, and the blocker is acknowledged',
    hint: 'answer',
    group: 'Shared context',
    contexts: ['context'],
    note: 'j/k select a blocker',
  },

  'lock.release': {
    keys: ['x'],
    description: "Release the selected lock (for its task, or the operator's own)",
    hint: 'release',
    group: 'Locks',
    contexts: ['locks'],
  },
  'lock.steal': {
    keys: ['S'],
    description: 'Steal the selected lock: the operator takes it from its holder',
    hint: 'steal',
    group: 'Locks',
    contexts: ['locks'],
    dangerous: true,
    note: 'the holder may be writing there',
  },

  'diff.up': { keys: ['up', 'k'], description: 'Scroll up', group: 'Diff', contexts: ['diff'] },
  'diff.down': { keys: ['down', 'j'], description: 'Scroll down', group: 'Diff', contexts: ['diff'] },
  'diff.page-up': { keys: ['pageup'], description: 'Scroll a page up', group: 'Diff', contexts: ['diff'] },
  'diff.page-down': { keys: ['pagedown', 'space'], description: 'Scroll a page down', hint: 'page', group: 'Diff', contexts: ['diff'] },
  'diff.top': { keys: ['home', 'g'], description: 'Scroll to the top', group: 'Diff', contexts: ['diff'] },
  'diff.bottom': { keys: ['end', 'G'], description: 'Scroll to the bottom', group: 'Diff', contexts: ['diff'] },
  'diff.close': { keys: ['esc', 'q'], description: 'Back to the merge queue', hint: 'back', group: 'Diff', contexts: ['diff'] },

  'detail.up': { keys: ['up', 'k'], description: 'Scroll up', group: 'Task detail', contexts: ['detail'] },
  'detail.down': { keys: ['down', 'j'], description: 'Scroll down', group: 'Task detail', contexts: ['detail'] },
  'detail.page-up': { keys: ['pageup'], description: 'Scroll a page up', group: 'Task detail', contexts: ['detail'] },
  'detail.page-down': { keys: ['pagedown', 'space'], description: 'Scroll a page down', hint: 'page', group: 'Task detail', contexts: ['detail'] },
  'detail.top': { keys: ['home', 'g'], description: 'Scroll to the top', group: 'Task detail', contexts: ['detail'] },
  'detail.bottom': { keys: ['end', 'G'], description: 'Scroll to the bottom', group: 'Task detail', contexts: ['detail'] },
  'detail.next': { keys: ['tab'], description: 'The next task of the conflict', hint: 'next task', group: 'Task detail', contexts: ['detail'] },
  'detail.prev': { keys: ['shift+tab'], description: 'The previous task of the conflict', group: 'Task detail', contexts: ['detail'] },
  'detail.close': { keys: ['esc', 'q'], description: 'Back to the view', hint: 'back', group: 'Task detail', contexts: ['detail'] },

  'help.up': { keys: ['up', 'k'], description: 'Scroll the help up', group: 'Dialogs', contexts: ['help'] },
  'help.down': { keys: ['down', 'j'], description: 'Scroll the help down', group: 'Dialogs', contexts: ['help'] },
  'help.close': { keys: ['esc', '?', 'q'], description: 'Close the help', hint: 'close', group: 'Dialogs', contexts: ['help'] },
  'form.submit': { keys: ['enter'], description: 'Submit the form', hint: 'submit', group: 'Dialogs', contexts: ['form'] },
  'form.next-field': { keys: ['tab'], description: 'Next field', hint: 'next field', group: 'Dialogs', contexts: ['form'] },
  'form.prev-field': { keys: ['shift+tab'], description: 'Previous field', group: 'Dialogs', contexts: ['form'] },
  'form.cancel': { keys: ['esc'], description: 'Cancel the form', hint: 'cancel', group: 'Dialogs', contexts: ['form'] },
  'confirm.yes': { keys: ['y'], description: 'Yes, do it', hint: 'yes', group: 'Dialogs', contexts: ['confirm'] },
  'confirm.no': { keys: ['n', 'esc'], description: 'No, leave things as they are', hint: 'no', group: 'Dialogs', contexts: ['confirm'] },
  'quit.detach': {
    keys: ['d', 'enter'],
    description: 'Quit and leave the agents running (the default)',
    hint: 'detach',
    group: 'Dialogs',
    contexts: ['quit'],
    note: 'muster shows them again when started',
  },
  'quit.stop-all': {
    keys: ['s'],
    description: 'Stop every agent, then quit',
    hint: 'stop all',
    group: 'Dialogs',
    contexts: ['quit'],
    dangerous: true,
  },
  'quit.cancel': { keys: ['esc'], description: 'Stay in muster', hint: 'cancel', group: 'Dialogs', contexts: ['quit'] },

  'form.left': { keys: ['left', 'ctrl+b'], description: 'Cursor left; in a picker, the previous choice', group: 'Text fields', contexts: ['form'] },
  'form.right': { keys: ['right', 'ctrl+f'], description: 'Cursor right; in a picker, the next choice', group: 'Text fields', contexts: ['form'] },
  'form.home': { keys: ['home', 'ctrl+a'], description: 'To the start of the line', group: 'Text fields', contexts: ['form'] },
  'form.end': { keys: ['end', 'ctrl+e'], description: 'To the end of the line', group: 'Text fields', contexts: ['form'] },
  'form.word-left': { keys: ['meta+b', 'ctrl+left'], description: 'Back one word', group: 'Text fields', contexts: ['form'] },
  'form.word-right': { keys: ['meta+f', 'ctrl+right'], description: 'Forward one word', group: 'Text fields', contexts: ['form'] },
  'form.backspace': { keys: ['backspace'], description: 'Delete the character before the cursor', group: 'Text fields', contexts: ['form'] },
  'form.delete': { keys: ['delete', 'ctrl+d'], description: 'Delete the character under the cursor', group: 'Text fields', contexts: ['form'] },
  'form.kill-start': { keys: ['ctrl+u'], description: 'Delete to the start of the line', group: 'Text fields', contexts: ['form'] },
  'form.kill-end': { keys: ['ctrl+k'], description: 'Delete to the end of the line', group: 'Text fields', contexts: ['form'] },
  'form.kill-word': { keys: ['ctrl+w', 'meta+backspace'], description: 'Delete the word before the cursor', group: 'Text fields', contexts: ['form'] },
  'form.newline': {
    keys: ['meta+enter'],
    description: 'New line in a multi-line field (the prompt, feedback)',
    hint: 'new line',
    group: 'Text fields',
    contexts: ['form'],
    note: 'a bracketed paste keeps its line breaks too',
  },

  'offline.reconnect': {
    keys: ['r', 'enter'],
    description: 'Start the supervisor again and reconnect',
    hint: 'restart it',
    group: 'Reconnecting',
    contexts: ['offline'],
    note: 'muster also reconnects by itself once any muster command started one',
  },
  'offline.quit': {
    keys: ['q', 'esc', 'ctrl+c'],
    description: 'Quit; the supervisor stays stopped',
    hint: 'quit',
    group: 'Reconnecting',
    contexts: ['offline'],
    note: 'nothing runs to be left behind',
  },

  'agent.scrollback': {
    keys: ['o'],
    description: "Read the selected agent's output: its scrollback, then its terminal log",
    hint: 'output',
    group: 'Scrollback',
    contexts: ['agents'],
    note: 'attached, the detach key then o (or pgup) opens it, and leaving it attaches again',
  },
  'agent.page-up': {
    keys: ['pageup'],
    description: "Read the selected agent's output, a page up from its screen",
    group: 'Scrollback',
    contexts: ['agents'],
    shadows: ['nav.page-up'],
  },
  'scrollback.up': { keys: ['up', 'k'], description: 'Scroll up a line', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.down': { keys: ['down', 'j'], description: 'Scroll down a line', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.page-up': { keys: ['pageup', 'b'], description: 'Scroll up a page', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.page-down': { keys: ['pagedown', 'space', 'f'], description: 'Scroll down a page', hint: 'page', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.top': { keys: ['home', 'g'], description: 'To the oldest line', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.bottom': { keys: ['end', 'G'], description: 'To the newest line', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.search': { keys: ['/'], description: 'Search towards older output', hint: 'search', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.next': { keys: ['n'], description: 'Next match, older', hint: 'older match', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.prev': { keys: ['N'], description: 'Previous match, newer', group: 'Scrollback', contexts: ['scrollback'] },
  'scrollback.close': {
    keys: ['esc', 'q'],
    description: 'Back to the agents (or to the attached agent it was opened from)',
    hint: 'back',
    group: 'Scrollback',
    contexts: ['scrollback'],
  },
} as const satisfies Record<string, BindingSpec>;

/** The namespaced id of a command: what a dispatcher switches on. */
export type CommandId = keyof typeof TABLE;

/** One row of the key map. */
export interface KeyBinding extends BindingSpec {
  readonly id: CommandId;
}

/** Short ids accepted in config besides full ids and unambiguous last segments. */
export const ID_ALIASES: Readonly<Record<string, CommandId>> = { detach: 'attach.detach' };

/** The default key map, in table order (which is the order of help and docs). */
export const DEFAULT_BINDINGS: readonly KeyBinding[] = Object.freeze(
  Object.entries(TABLE).map(([id, spec]): KeyBinding => Object.freeze({ id: id as CommandId, ...spec })),
);
