import type { CommandId } from '../../src/keymap/index.js';
import { lockKey, selectedTask, selection, type CockpitState } from './cockpit-state.js';
import { holderName } from './peers.js';

/** A dangerous command asks this first (`task`/`item`: what it acts on, kept selected), or cannot run (`refused`). */
export type Confirmation = { message: string; task: number | null; item?: string } | { refused: string };

/**
 * The questions of the dangerous bindings (the key map flags them), naming what would be lost.
 * A dangerous command without an entry asks "<its description>?".
 */
export const CONFIRMATIONS: Partial<Record<CommandId, (s: CockpitState) => Confirmation>> = {
  'task.cancel': (s) => {
    const t = selectedTask(s);
    return t ? { message: `Cancel #${t.id} ${t.title} and stop its agent? Its work is archived.`, task: t.id } : { refused: 'No task is selected.' };
  },
  'merge.undo': (s) => ({ message: undoQuestion(s), task: selectedTask(s)?.id ?? null }),
  'quit.stop-all': (s) => ({ message: 'Stop every agent and the supervisor? Their tasks can be restarted.', task: selectedTask(s)?.id ?? null }),
  'lock.steal': (s) => {
    const key = selection(s, 'locks');
    const l = s.locks.find((x) => lockKey(x) === key);
    if (!l) return { refused: 'No lock is selected.' };
    return {
      message: `Steal ${l.resource} (${l.mode}) from ${holderName(l.owner)}? The operator holds it for writing; the holder may be changing those files.`,
      task: null,
      item: lockKey(l),
    };
  },
};

/** The undo confirmation names the task and the commits: what comes off, and where the target goes. */
function undoQuestion(s: CockpitState): string {
  const u = s.merges?.undo;
  if (!u) return 'Undo the last merge? The target returns to its previous tip.';
  const title = s.tasks.find((t) => t.id === u.task)?.title;
  return `Undo the merge of #${u.task}${title ? ` ${title}` : ''}? ${s.merges?.target ?? 'the target'} goes back from ${u.from.slice(0, 7)} to ${u.to.slice(0, 7)}, and the task returns to review.`;
}
