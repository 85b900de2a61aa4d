import { mergeStepWords } from '../../src/protocol/merge-steps.js';
import type { CockpitState } from './cockpit-state.js';

/** While the cockpit waits for an approval, the status line follows its steps and gates. */
export function withMergeStep(s: CockpitState, id: number, reason: string | null): CockpitState {
  const busy = `merging #${id}`;
  const m = mergeStepWords(reason);
  if (!s.busy?.startsWith(busy) || !m || m.step === 'gates') return s;
  return { ...s, busy: `${busy}: ${m.words}…${m.attempt ? ` (attempt ${m.attempt})` : ''}` };
}

/** What K and J did: where the task is now, in the queue or the merge queue. */
export function movedText(
  id: number,
  dir: 'up' | 'down',
  tasks: readonly { id: number; state: string; position: number | null }[],
  merges: boolean,
  before: number | null,
): string {
  const list = (merges ? tasks.filter((t) => t.state === 'review') : tasks.filter((t) => t.position !== null))
    .slice()
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  const at = list.findIndex((t) => t.id === id);
  const now = tasks.find((t) => t.id === id)?.position ?? null;
  const where = merges ? 'the merge queue' : 'the queue';
  if (at < 0) return `#${id} is not in ${where}.`;
  if (now !== null && now === before) return `#${id} is already ${dir === 'up' ? 'first' : 'last'} in ${where}.`;
  return `#${id} moved ${dir}: ${at + 1} of ${list.length} in ${where}.`;
}
