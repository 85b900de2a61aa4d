/**
 * What the operator can do after an approval stopped, by its reason (`StopReason` of the merge
 * plan), or after an agent ended its turn with work (`idle-with-work`). The supervisor says
 * what happened; each client words the next step its own way: the CLI names the command, the
 * cockpit the key of its key map.
 */
export interface NextStep {
  /** The command (a key map id, which the CLI maps to its own command). */
  action: 'merge.reject' | 'merge.approve' | 'task.cancel' | 'task.done';
  /** What it does, after the command or key: "sends it back to its agent". */
  does: string;
}

export function nextStepAfter(reason: string | null | undefined): NextStep | null {
  switch (reason) {
    case 'conflict':
      return { action: 'merge.reject', does: 'sends it back to its agent' };
    case 'gate-failed':
      return { action: 'merge.reject', does: "sends it back to its agent with the gate's output" };
    case 'gates-incomplete':
    case 'error':
    case 'dirty-checkout':
    case 'interrupted':
      return { action: 'merge.approve', does: 'approves it again' };
    case 'target-moved':
      return { action: 'merge.approve', does: 'approves it again once the target is quiet' };
    case 'nothing-to-merge':
      return { action: 'task.cancel', does: 'cancels the task' };
    case 'idle-with-work':
      return { action: 'task.done', does: 'sends it to review' };
    default:
      return null;
  }
}

/** The CLI's words for a next step: the command line, then what it does. */
export function nextStepCommand(step: NextStep, task: number): string {
  const command = {
    'merge.reject': `muster merge reject ${task} --reason "…"`,
    'merge.approve': `muster merge approve ${task}`,
    'task.cancel': `muster task cancel ${task}`,
    'task.done': `muster task done ${task}`,
  }[step.action];
  return `Next: ${command} ${step.does}.`;
}
