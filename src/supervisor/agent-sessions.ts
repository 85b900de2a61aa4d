import { join } from 'node:path';
import { getTask } from '../core/task-queue.js';
import { formatId, type TaskId } from '../core/task.js';
import { installGuard } from '../adapters/git/commit-guard.js';
import type { ProcessExit } from '../adapters/pty/task-terminal.js';
import { locateRepo } from '../paths/repo.js';
import type { AgentRuntime } from './agent-runtime.js';
import type { AuditInput, StateCell } from './state-cell.js';

/** What launching a task records as its agent starts and ends. */
export class AgentSessions {
  constructor(
    private readonly cell: StateCell,
    private readonly runtime: AgentRuntime,
  ) {}

  /** Runs once a worktree exists, before the agent starts: the commit guard goes in. */
  async worktreeReady(_id: TaskId, worktree: string): Promise<void> {
    const paths = this.cell.ctx.paths;
    await installGuard(paths.repo.mainRoot, worktree, join(paths.stateDir, 'hooks'), locateRepo(worktree).gitDir);
  }

  async started(id: TaskId, n: number, pid: number, pidStart: string | null, clearHandoff: boolean): Promise<void> {
    const cell = this.cell;
    await cell.faults.recordFact(`the start of ${formatId(id)}'s agent (pid ${pid})`, async () => {
      const task = getTask(cell.state, id);
      if (!task) return;
      // An agent that already exited (its exit recorded first) keeps the reason its exit gave.
      const ended = task.sessions.some((s) => s.n === n && s.endedAt !== null);
      const sessions = task.sessions.map((s) => (s.n === n ? { ...s, pid, pidStart: pidStart ?? s.pidStart } : s));
      await cell.patchTask(id, { sessions, ...(ended ? {} : { reason: null }), ...(clearHandoff ? { handoffFrom: null } : {}) }, [
        { actor: 'supervisor', kind: 'agent-started', details: { task: id, session: n, pid } },
      ]);
    });
  }

  /** The agent process ended: exit 0 means review, anything else failed, unless muster stopped it. */
  async exited(id: TaskId, n: number, exit: ProcessExit, stoppedByUs: boolean, startFailure: string | null = null): Promise<void> {
    await this.cell.faults
      .recordFact(`the exit of ${formatId(id)}'s agent`, () => this.recordExit(id, n, exit, stoppedByUs, startFailure))
      .catch((e: unknown) => {
        this.cell.faults.report(`the exit of ${formatId(id)}'s agent is not recorded: ${(e as Error).message}; the next start marks it stalled`);
      });
  }

  private async recordExit(id: TaskId, n: number, exit: ProcessExit, stoppedByUs: boolean, startFailure: string | null): Promise<void> {
    const cell = this.cell;
    const task = getTask(cell.state, id);
    if (!task) return;
    const now = cell.now();
    const sessions = task.sessions.map((s) => (s.n === n ? { ...s, endedAt: now, exitCode: exit.exitCode, signal: exit.signal } : s));
    const events: AuditInput[] = [
      { actor: 'supervisor', kind: 'agent-exited', details: { task: id, session: n, exitCode: exit.exitCode, signal: exit.signal, stoppedByUs } },
    ];
    const current = task.sessions.length === n;
    if (!stoppedByUs && current && task.state === 'running' && !cell.isStopping) {
      // A PTY reports a process killed by a signal as exit code 0 with the signal: not a finish.
      const killed = exit.signal ? `agent was killed by signal ${exit.signal}` : null;
      const to = exit.exitCode === 0 && !killed ? 'review' : 'failed';
      const reason =
        startFailure ??
        (exit.exitCode === 0
          ? (killed ?? 'agent finished (exit 0)')
          : `agent exited with code ${exit.exitCode}${exit.signal ? ` (signal ${exit.signal})` : ''}`);
      await cell.moveTask(id, to, reason, events, { sessions, activity: { status: 'exited', since: now, source: 'heuristic' }, idleWithWork: false });
      this.runtime.existingTerminal(id)?.note(reason);
      cell.notify({ kind: to === 'review' ? 'finished' : 'failed', task: id, message: `${formatId(id)} ${task.title}: ${reason}` });
      return;
    }
    // A session that is no longer the task's (it was reassigned or retried) says nothing of the current one.
    await cell.patchTask(id, current ? { sessions, activity: { status: 'exited', since: now, source: 'heuristic' } } : { sessions }, events);
  }
}
