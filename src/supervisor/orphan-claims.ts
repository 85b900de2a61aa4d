import type { TaskId } from '../core/task.js';
import { adoptedChildren } from '../adapters/proc/orphans.js';
import { nowTicks, readEnvVar, readFdTargets, type ProcStat } from '../adapters/proc/proc-table.js';
import { RUN_MARKER_VAR } from '../adapters/proc/run-marker.js';

/** A task's run while this supervisor watched it: from its first process to the end of its stop, in boot clock ticks. */
interface Run {
  id: number;
  task: TaskId;
  from: number;
  to: number | null;
  /** The terminals (`/dev/pts/N`) its processes were started on. */
  ptys: Set<string>;
}

const keyOf = (p: ProcStat): string => `${p.pid}:${p.start}`;

/**
 * Which runs an orphan the supervisor adopted (as subreaper) may have come from, once nothing
 * else names it: it left the agent's session, cleared MUSTER_RUN and left the worktree. It
 * descends from the supervisor, so from something it started; judged once, when first seen:
 * a process holding one of a run's terminals is that run's alone; any other is claimed by
 * every run that was live when it started (its start time, from /proc); one that carries the
 * supervisor's own marker (a daemon of a git the supervisor ran) by none. A task stopping
 * takes the orphans it claims that no run still live claims too; an orphan all of whose
 * claimants have ended goes as well.
 */
export class OrphanClaims {
  private readonly runs: Run[] = [];
  private readonly open = new Map<TaskId, Run>();
  private readonly claims = new Map<string, readonly Run[]>();
  private next = 1;

  constructor(private readonly supervisorMarker: string) {}

  /** A process started on a task's terminal (a setup command or the agent): the task's run opens with the first. */
  started(task: TaskId, start: string | null, pty: string | null): void {
    let run = this.open.get(task);
    if (!run) {
      run = { id: this.next++, task, from: start === null ? nowTicks() : Number(start), to: null, ptys: new Set() };
      this.runs.push(run);
      this.open.set(task, run);
    }
    if (pty) {
      // A terminal number is reused only once nothing holds it: the newest run to get it owns it.
      for (const r of this.runs) r.ptys.delete(pty);
      run.ptys.add(pty);
    }
  }

  /**
   * The task's run is being stopped: a process started on its terminal from now on opens a
   * new run. Pass what it returns to `ended` once the stop is over.
   */
  stopping(task: TaskId): object | null {
    const run = this.open.get(task) ?? null;
    this.open.delete(task);
    return run;
  }

  /** The run has been stopped, with what it left: orphans that start from now on are not its. */
  ended(run: object | null): void {
    if (run) (run as Run).to = nowTicks();
  }

  /**
   * Whether the orphan `p` goes when `what` stops (a task: every run of it; or one run, as
   * `stopping` gave it): it claims one of those runs, and no other run that is still live.
   */
  goesWith(p: ProcStat, what: { task: TaskId } | { run: object }): boolean {
    const mine = 'run' in what ? (r: Run) => r === what.run : (r: Run) => r.task === what.task;
    const runs = this.claimOf(p);
    return runs.some(mine) && runs.every((r) => mine(r) || r.to !== null);
  }

  /** Whether every run the orphan claims has ended: nothing is left for it to belong to. */
  abandoned(p: ProcStat): boolean {
    const runs = this.claimOf(p);
    return runs.length > 0 && runs.every((r) => r.to !== null);
  }

  /** Judges the orphans adopted since the last look, forgets the ones gone and the runs nothing claims any more; whether any is abandoned. */
  look(): boolean {
    const now = adoptedChildren();
    const seen = new Set(now.map(keyOf));
    for (const key of this.claims.keys()) if (!seen.has(key)) this.claims.delete(key);
    const any = now.some((p) => this.abandoned(p));
    const claimed = new Set([...this.claims.values()].flat());
    // Ended runs stay while an orphan may still be judged against them: a minute, or while claimed.
    const horizon = nowTicks() - 60 * 100;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const r = this.runs[i]!;
      if (r.to !== null && r.to < horizon && !claimed.has(r)) this.runs.splice(i, 1);
    }
    return any;
  }

  private claimOf(p: ProcStat): readonly Run[] {
    const key = keyOf(p);
    let runs = this.claims.get(key);
    if (!runs) {
      runs = this.judge(p);
      this.claims.set(key, runs);
    }
    return runs;
  }

  private judge(p: ProcStat): Run[] {
    if (readEnvVar(p.pid, RUN_MARKER_VAR) === this.supervisorMarker) return [];
    return claimingRuns(this.runs, { ttys: readFdTargets(p.pid).filter((t) => t.startsWith('/dev/pts/')), start: Number(p.start) });
  }
}

/**
 * The runs an orphan may have come from: those that held one of its terminals, else those live
 * when it started. Never a run that had ended before it started: the terminal worker's newest
 * agent, seen in the moment before its pid reaches the supervisor, holds a terminal number an
 * ended run had (Linux hands out the lowest free one), and was taken for that run's orphan and
 * killed.
 */
export function claimingRuns<R extends Pick<Run, 'from' | 'to' | 'ptys'>>(runs: readonly R[], p: { ttys: readonly string[]; start: number }): R[] {
  const possible = runs.filter((r) => r.from <= p.start && (r.to === null || p.start <= r.to));
  const byTerminal = possible.filter((r) => p.ttys.some((t) => r.ptys.has(t)));
  return byTerminal.length ? byTerminal : possible;
}
