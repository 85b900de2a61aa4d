import { getTask } from '../core/task-queue.js';
import type { MusterState } from '../core/state.js';
import type { TaskId } from '../core/task.js';
import { isSameProcessAlive } from '../adapters/proc/process-info.js';
import type { RunningProcess } from '../adapters/pty/task-terminal.js';
import type { HostedTerminal } from '../adapters/worker/messages.js';
import type { TerminalWorker } from '../adapters/worker/terminal-worker.js';
import type { AgentRuntime } from './agent-runtime.js';
import type { AgentSessions } from './agent-sessions.js';

/** An agent a previous supervisor started that still runs in the terminal worker. */
export interface SurvivingAgent {
  task: TaskId;
  session: number;
  proc: RunningProcess;
}

/**
 * Which of the worker's terminals run the agent of a running task's open session, as the store
 * recorded it (pid and start time). Anything else running there (a setup command whose launch
 * died with the supervisor, an agent whose start was never recorded) is not taken over: reconcile
 * stops it like any leftover of a previous run.
 */
export function survivingAgents(state: MusterState, hosted: readonly HostedTerminal[], worker: TerminalWorker): SurvivingAgent[] {
  const out: SurvivingAgent[] = [];
  for (const h of hosted) {
    const task = getTask(state, h.task);
    const last = task?.sessions.at(-1);
    if (!task || !last || task.state !== 'running' || last.endedAt !== null || last.pid === null || last.pid !== h.pid) continue;
    if (!isSameProcessAlive(h.pid, last.pidStart)) continue;
    const proc = worker.running(h);
    if (proc) out.push({ task: task.id, session: last.n, proc });
  }
  return out;
}

/** Takes the surviving agents over: their screens come back, their input and exits are this supervisor's. */
export function reattachAgents(runtime: AgentRuntime, sessions: AgentSessions, agents: readonly SurvivingAgent[]): void {
  for (const a of agents) {
    runtime.reattach(a.task, a.session, a.proc, (exit, stoppedByUs) => {
      void (async () => {
        await runtime.existingTerminal(a.task)?.screen.settle();
        await sessions.exited(a.task, a.session, exit, stoppedByUs);
      })();
    });
  }
}
