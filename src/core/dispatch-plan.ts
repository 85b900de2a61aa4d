import { orderedTasks, type QueueState } from './task-queue.js';
import { placeTask, workersInUse, type HostCapacity } from './host-placement.js';
import { formatId, holdsWorker, type Task, type TaskId } from './task.js';

/** A grant of a task's declared locks, threaded through one planning pass. */
export type LockDecision<A> = { ok: true; acc: A } | { ok: false; reason: string };

export interface DispatchOptions<A = undefined> {
  /** Workers of this machine. */
  maxWorkers: number;
  /** Other machines that run agents (`hosts:`), each with its own workers. */
  hosts?: readonly HostCapacity[];
  /** Lock state before planning; each started task's grant is folded into it. */
  locks?: A;
  /** Grants a task's whole declared lock set, or says who holds what. */
  acquire?: (task: Task, acc: A) => LockDecision<A>;
}

export interface DispatchPlan<A = undefined> {
  /** Tasks to start now, in queue order. */
  start: TaskId[];
  /** Where each started task runs: null for this machine, else a host's name. */
  placed: Map<TaskId, string | null>;
  /** For every ready task that stays ready: why. */
  waiting: Map<TaskId, string>;
  /** Lock state after the grants of the started tasks. */
  locks: A | undefined;
}

/**
 * Decides which ready tasks start now: in queue order, up to the free workers, with their
 * whole lock set or not at all. A `high` task runs alone; while one waits for the running
 * tasks to drain, the tasks queued behind it wait too, so it is never starved.
 */
export function planDispatch<A = undefined>(state: QueueState, opts: DispatchOptions<A>): DispatchPlan<A> {
  const start: TaskId[] = [];
  const placed = new Map<TaskId, string | null>();
  const waiting = new Map<TaskId, string>();
  let locks = opts.locks;
  const running = state.tasks.filter(holdsWorker);
  let busy = running.length;
  const machines: HostCapacity[] = [{ name: null, maxWorkers: opts.maxWorkers }, ...(opts.hosts ?? [])];
  const busyOn = workersInUse(running);
  let alone: Task | undefined = running.find((t) => t.risk === 'high');
  let barrier: Task | undefined;

  for (const task of orderedTasks(state)) {
    if (task.state !== 'ready') continue;
    if (state.paused) {
      waiting.set(task.id, 'dispatch paused');
      continue;
    }
    if (alone) {
      waiting.set(task.id, `waits for high-risk ${formatId(alone.id)} to finish (it runs alone)`);
      continue;
    }
    if (barrier) {
      waiting.set(task.id, `waits behind high-risk ${formatId(barrier.id)}`);
      continue;
    }
    if (task.risk === 'high' && busy > 0) {
      waiting.set(task.id, 'high risk: waits for the running tasks to finish');
      barrier = task;
      continue;
    }
    const place = placeTask(task, machines, busyOn);
    if (!place.ok) {
      waiting.set(task.id, place.reason);
      continue;
    }
    if (opts.acquire && locks !== undefined) {
      const decision = opts.acquire(task, locks);
      if (!decision.ok) {
        waiting.set(task.id, decision.reason);
        continue;
      }
      locks = decision.acc;
    }
    start.push(task.id);
    placed.set(task.id, place.host);
    busy++;
    busyOn.set(place.host, (busyOn.get(place.host) ?? 0) + 1);
    if (task.risk === 'high') alone = task;
  }
  return { start, placed, waiting, locks };
}
