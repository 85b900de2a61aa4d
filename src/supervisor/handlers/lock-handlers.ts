import { getTask } from '../../core/task-queue.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Connection } from '../../adapters/socket/socket-server.js';
import type { Services } from '../services.js';

export async function lockAcquire(
  sup: Services,
  p: ParsedParamsOf<'lock.acquire'>,
  caller: Caller | undefined,
  conn: Connection,
): Promise<ResultOf<'lock.acquire'>> {
  const owner = sup.locks.ownerFor(caller, p.task);
  const resources = sup.locks.normalize(caller, p.resources);
  if (p.steal && owner.kind === 'task') throw new MusterError('bad-input', '--steal is for the operator; a task waits (--wait S) or asks the operator.');
  return sup.locks.acquire(
    owner,
    resources.map((resource) => ({ resource, mode: p.mode })),
    { ttlMs: p.ttlMs ?? null, waitMs: p.waitMs, steal: p.steal, actor: sup.cell.actorOf(caller) },
    conn,
  );
}

export async function lockRelease(sup: Services, p: ParsedParamsOf<'lock.release'>, caller?: Caller): Promise<ResultOf<'lock.release'>> {
  if (!p.all && !p.resources.length) throw new MusterError('bad-input', 'Name the paths to release, or give --all.');
  if (p.all && p.resources.length) throw new MusterError('bad-input', 'Give either paths or --all, not both.');
  const owner = sup.locks.ownerFor(caller, p.task);
  return sup.locks.release(owner, p.all ? 'all' : sup.locks.normalize(caller, p.resources), sup.cell.actorOf(caller));
}

export function lockList(sup: Services): ResultOf<'lock.list'> {
  return sup.locks.views();
}

export function lockCheck(sup: Services, p: ParsedParamsOf<'lock.check'>, caller?: Caller): ResultOf<'lock.check'> {
  const owner = sup.locks.ownerFor(caller, p.task);
  const conflicts = sup.locks.check(
    owner,
    sup.locks.normalize(caller, p.paths).map((resource) => ({ resource, mode: p.mode })),
  );
  return { free: conflicts.length === 0, conflicts };
}

/** The commit guard's question: which of these paths may this worktree's task not commit? */
export function lockGuard(sup: Services, p: ParsedParamsOf<'lock.guard'>, caller?: Caller): ResultOf<'lock.guard'> {
  const task = sup.cell.taskOfCaller(caller);
  if (!task || !getTask(sup.cell.state, task)) return { task: null, violations: [] };
  const violations = sup.locks.guard({ kind: 'task', task }, p.paths);
  if (violations.length) {
    sup.cell.commitRefusals.set(task, { at: sup.cell.now(), details: violations.map((v) => v.detail) });
    sup.cell.audit([
      {
        actor: `task #${task}`,
        kind: 'commit-refused',
        details: { task, violations: violations.map((v) => ({ path: v.path, resource: v.resource, holder: v.holder })) },
      },
    ]);
  }
  return { task, violations };
}
