/**
 * A step of an approval in people's words, from the task's reason while it merges
 * (`merging: gate test`, `merging: cas (attempt 2)`); null for a reason that is not a step.
 */
export function mergeStepWords(reason: string | null | undefined): { step: string; words: string; gate: string | null; attempt: number | null } | null {
  const m = /^merging: (.+?)(?: \(attempt (\d+)\))?$/.exec(reason ?? '');
  if (!m) return null;
  const step = m[1]!;
  const gate = step.startsWith('gate ') ? step.slice(5) : null;
  const words =
    gate !== null
      ? `gate ${gate}`
      : ((
          {
            integrating: 'integrating',
            integrate: 'merging onto the target in the integration worktree',
            gates: 'running the gates',
            'check-checkout': 'checking that the main worktree is clean',
            backup: 'keeping the old tip under refs/muster/backup/',
            cas: 'moving the target',
            'fast-forward-checkout': 'updating the main worktree',
          } as Record<string, string>
        )[step] ?? step);
  return { step, words, gate, attempt: m[2] ? Number(m[2]) : null };
}
