import { refuseNul } from '../../core/input-text.js';
import { tryAcquire } from '../../core/lock-table.js';
import { parseSpecImport, trackPrompt, trackTaskTitle } from '../../core/spec-import.js';
import { addTask, validateTaskInput } from '../../core/task-queue.js';
import type { Task } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Services } from '../services.js';
import { queuePositions, taskView } from '../views.js';
import { unwrap } from './refusal.js';
import { savePrompts } from './run-command.js';

/**
 * One task per track with its files as writes, and the shared resources read-locked by an
 * operator owner for the parallel phase — all in one change, or nothing.
 */
export async function taskImport(sup: Services, p: ParsedParamsOf<'task.import'>, caller?: Caller): Promise<ResultOf<'task.import'>> {
  unwrap(refuseNul(`The spec ${p.name}`, p.markdown));
  const spec = unwrap(parseSpecImport(p.markdown));
  if (!spec.tracks.length)
    throw new MusterError('bad-input', `${p.name} has a Parallel Tracks section without tracks; list them as "- Track A: title (files: src/a/*)".`);
  const importId = sup.cell.state.imports.length + 1;
  const ownerTag = `import #${importId} of ${p.name}`;
  const now = sup.cell.now();
  let state = sup.cell.state;
  if (spec.shared.length) {
    const grant = tryAcquire(
      state.locks,
      { kind: 'operator', pid: 0, startTime: ownerTag },
      spec.shared.map((s) => ({ resource: s.path, mode: 'read' as const })),
      now,
    );
    if (!grant.ok) {
      throw new MusterError(
        'conflict',
        `The shared resources cannot be locked for the parallel phase; nothing was imported:\n${grant.conflicts.map((c) => `  ${sup.locks.conflictView(c).detail}`).join('\n')}`,
        { conflicts: grant.conflicts.map((c) => sup.locks.conflictView(c)) },
      );
    }
    state = { ...state, locks: grant.table };
  }
  const created: [Task, string][] = [];
  for (const track of spec.tracks) {
    const input = unwrap(
      validateTaskInput(
        state,
        { title: trackTaskTitle(track), prompt: trackPrompt(track, p.name, spec), agent: sup.cell.config.default_agent, writes: track.files, risk: 'medium' },
        sup.cell.agentNames,
      ),
    );
    const r = addTask(state, input, now);
    state = r.state;
    created.push([r.task, input.prompt]);
  }
  savePrompts(sup, created);
  state = { ...state, imports: [...state.imports, { id: importId, file: p.name, tasks: created.map(([t]) => t.id), ownerTag, at: now }] };
  await sup.cell.apply(state, [
    {
      actor: sup.cell.actorOf(caller),
      kind: 'spec-imported',
      details: { file: p.name, tasks: created.map(([t]) => t.id), shared: spec.shared.map((s) => s.path) },
    },
    ...(spec.shared.length
      ? [
          {
            actor: sup.cell.actorOf(caller),
            kind: 'lock-granted',
            details: { owner: { pid: 0, startTime: ownerTag }, locks: spec.shared.map((s) => ({ resource: s.path, mode: 'read' })) },
          },
        ]
      : []),
  ]);
  const positions = queuePositions(sup.cell.state);
  const ids = new Set(created.map(([t]) => t.id));
  return {
    tasks: sup.cell.state.tasks.filter((t) => ids.has(t.id)).map((t) => taskView(t, positions.get(t.id) ?? null)),
    locks: sup.locks.views().filter((l) => 'pid' in l.owner && l.owner.pid === 0 && spec.shared.some((s) => s.path === l.resource)),
  };
}
