import { workersInUse } from '../../core/host-placement.js';
import { TASK_STATES } from '../../core/task.js';
import type { ResultOf } from '../../protocol/methods.js';
import type { Services } from '../services.js';
import { taskViews } from '../views.js';

export async function status(sup: Services): Promise<ResultOf<'status'>> {
  // The one await comes first: everything after it is read from the same moment, so the
  // counts, the tasks and `idle` never disagree (a task may finish during a read of the tip).
  const targetTip = await sup.cell.targetTip();
  const { ctx, state } = sup.cell;
  const counts: Record<string, number> = Object.fromEntries(TASK_STATES.map((s) => [s, 0]));
  for (const t of state.tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  // Each machine against its own cap: a task on a host is not one of this machine's workers.
  const busy = workersInUse(state.tasks);
  return {
    repo: ctx.paths.repo.mainRoot,
    target: ctx.target,
    targetTip,
    daemon: { pid: ctx.pid, startedAt: ctx.startedAt, socket: ctx.paths.socketPath },
    workers: {
      running: busy.get(null) ?? 0,
      max: sup.cell.config.parallel.max_workers,
      hosts: Object.entries(sup.cell.config.hosts).map(([name, h]) => ({
        name,
        running: busy.get(name) ?? 0,
        max: h.max_workers,
        reachable: !sup.runtime.remotes.isAway(name),
      })),
    },
    paused: state.paused,
    counts,
    blockers: { unread: sup.context.unread() },
    configError: ctx.configError,
    agents: sup.cell.agentNames,
    defaultAgent: sup.cell.config.default_agent,
    idle: sup.dispatcher.idle,
    tasks: taskViews(state),
    locks: sup.locks.views(),
    conflicts: sup.scanner.conflicts,
  };
}

export async function setPaused(sup: Services, paused: boolean, actor: string): Promise<{ paused: boolean }> {
  if (sup.cell.state.paused !== paused) {
    await sup.cell.apply({ ...sup.cell.state, paused }, [{ actor, kind: paused ? 'dispatch-paused' : 'dispatch-resumed', details: {} }]);
  }
  return { paused: sup.cell.state.paused };
}
