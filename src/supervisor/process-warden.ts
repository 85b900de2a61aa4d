import type { Task, TaskId } from '../core/task.js';
import { gateSelector } from '../adapters/gates/run-gate.js';
import { adoptThroughWorker, becomeSubreaper, reapAdoptedZombies } from '../adapters/proc/orphans.js';
import { adoptedFrom, terminate, type ProcessSelector, type RecordedSession } from '../adapters/proc/process-groups.js';
import { hasProcTable, isLive, readEnvVar, readStat, type ProcStat } from '../adapters/proc/proc-table.js';
import { OrphanClaims } from './orphan-claims.js';
import { gateMarker, RUN_MARKER_VAR, runKey, taskMarker, taskMarkerPrefix, taskOfMarker } from '../adapters/proc/run-marker.js';
import type { Peer } from '../adapters/socket/socket-server.js';
import type { Origin } from './caller-task.js';
import type { StateCell } from './state-cell.js';

/**
 * Every process muster starts for a task or a gate, and everything those leave behind:
 * agents and gates lead sessions of their own (recorded with their start time); every
 * process gets a run marker in its environment; the supervisor is the subreaper of orphaned
 * descendants. Stops them as a whole, and tells whether a client is one of them.
 */
export class ProcessWarden {
  readonly key: string;
  /** Whether this system has /proc (Linux): without it only the agent's own group is stopped. */
  readonly enabled = hasProcTable();
  private reaper: NodeJS.Timeout | null = null;
  private readonly claims: OrphanClaims;
  private sweeping = false;
  /** The terminal worker's pid: agents are its children, and it is the subreaper of what they orphan. */
  private workerPid = 0;

  constructor(private readonly cell: StateCell) {
    this.key = runKey(cell.ctx.paths.stateDir);
    this.claims = new OrphanClaims(this.supervisorMarker);
  }

  /**
   * The MUSTER_RUN of the supervisor's own children (the gits it runs): a daemon one of them
   * leaves (git's background gc) is the supervisor's, never a task's. Not under the
   * repository's key, which names runs to stop.
   */
  get supervisorMarker(): string {
    return `supervisor:${this.key}`;
  }

  /**
   * Becomes the subreaper of what agents and gates orphan; every second judges the orphans
   * adopted since (see OrphanClaims), stops those whose runs have all ended, and reaps what
   * exited.
   */
  start(): void {
    if (!this.enabled || this.reaper || !becomeSubreaper()) return;
    process.env[RUN_MARKER_VAR] = this.supervisorMarker;
    this.reaper = setInterval(() => {
      reapAdoptedZombies();
      if (this.claims.look()) void this.sweep();
    }, 1000);
    this.reaper.unref();
  }

  /** Agents run in the terminal worker `pid`; `leaders` are what it runs in their terminals now. */
  useWorker(pid: number, leaders: () => Iterable<number>): void {
    this.workerPid = pid;
    if (this.enabled) adoptThroughWorker(pid, leaders);
  }

  /** A process started on a task's terminal (setup or agent), with its terminal. */
  runStarted(task: TaskId, pid: number, pty: string | null): void {
    if (this.enabled) this.claims.started(task, readStat(pid)?.start ?? null, pty);
  }

  /** Stops the orphans whose runs have all ended (adopted after their run was stopped). */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await terminate({ adoptedIf: (p) => this.claims.abandoned(p) }, this.grace);
    } finally {
      this.sweeping = false;
    }
  }

  stop(): void {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = null;
  }

  private get grace(): number {
    return this.cell.config.terminal.stop_grace_seconds * 1000;
  }

  /** The MUSTER_RUN value of a task's session `n`. */
  marker(task: TaskId, session: number): string {
    return taskMarker(this.key, task, session);
  }

  /** Every process of every session of a task, the orphans adopted from its worktree, and those only it claims (with what runs below them). */
  taskSelector(task: Task, extraLeaders: readonly number[] = []): ProcessSelector {
    // A task on another host has its pids there: a process here with the same pid is not its own.
    const sessions: RecordedSession[] = task.host ? [] : task.sessions.filter((s) => s.pid).map((s) => ({ sid: s.pid!, leaderStart: s.pidStart }));
    // Their start time now: a pid reused by another session leader while the stop waits is not ours.
    for (const pid of extraLeaders) sessions.push({ sid: pid, leaderStart: readStat(pid)?.start ?? null });
    return {
      sessions,
      markers: [taskMarkerPrefix(this.key, task.id)],
      adoptedIn: task.worktree ? [task.worktree] : [],
      adoptedIf: (p) => this.claims.goesWith(p, { task: task.id }),
    };
  }

  /** Stops everything of a task (SIGTERM, SIGKILL after the grace); resolves with what survived. Its run has ended then. */
  async stopTask(task: Task, extraLeaders: readonly number[] = []): Promise<ProcStat[]> {
    const run = this.claims.stopping(task.id);
    const left = await terminate(this.taskSelector(task, extraLeaders), this.grace);
    this.claims.ended(run);
    return left;
  }

  /**
   * Stops what one session left when its agent exited: its session, its marker, the orphans
   * adopted from the worktree by now (taken now, so a later session's are not), and those
   * only its run claims. Its run has ended then.
   */
  async stopSession(task: TaskId, n: number, leader: number): Promise<ProcStat[]> {
    const record = this.cell.state.tasks.find((t) => t.id === task);
    const worktree = record?.worktree;
    const fixed = adoptedFrom(worktree ? [worktree] : []);
    const run = this.claims.stopping(task);
    // The leader has exited: with its recorded start, a new session leader given the same pid
    // while this stop waits out its grace is told apart and left alone.
    const leaderStart = record?.sessions.find((s) => s.n === n && s.pid === leader)?.pidStart ?? null;
    const left = await terminate(
      {
        sessions: [{ sid: leader, leaderStart }],
        markers: [this.marker(task, n)],
        fixed,
        adoptedIf: run ? (p) => this.claims.goesWith(p, { run }) : undefined,
      },
      this.grace,
    );
    this.claims.ended(run);
    return left;
  }

  /**
   * Everything of this repository's runs: every recorded session, every marker of this
   * repository and of its integration worktree, every adopted orphan. At start (what the
   * previous supervisor left) and at stop.
   */
  stopEverything(tasks: readonly Task[], integrationPath: string, going: readonly Task[] = []): Promise<ProcStat[]> {
    const gates = gateSelector(integrationPath);
    const goes = new Set(going.map((t) => t.id));
    const sessions = [...tasks.filter((t) => !goes.has(t.id)).flatMap((t) => this.taskSelector(t).sessions ?? []), ...(gates.sessions ?? [])];
    // A run that goes on (its agent still runs in the terminal worker) is spared: its session and its marker.
    const sids = new Set(going.flatMap((t) => t.sessions.filter((s) => s.pid && s.endedAt === null).map((s) => s.pid!)));
    const prefixes = going.map((t) => taskMarkerPrefix(this.key, t.id));
    const spare = (p: ProcStat): boolean => sids.has(p.sid) || prefixes.some((m) => readEnvVar(p.pid, RUN_MARKER_VAR)?.startsWith(m));
    return terminate({ sessions, markers: [`${this.key}:`, ...(gates.markers ?? [])], adoptedIn: 'all', spare: going.length ? spare : undefined }, this.grace);
  }

  /** The task a process belongs to, by its session or marker, or null. */
  taskOf(p: ProcStat): TaskId | null {
    for (const t of this.cell.state.tasks) if (!t.host && t.sessions.some((s) => s.pid === p.sid)) return t.id;
    return taskOfMarker(this.key, readEnvVar(p.pid, RUN_MARKER_VAR));
  }

  /**
   * Whether the process that opened a connection is the operator's or one of the agents'
   * (or a gate's): its ancestry is walked up to init, and it is an agent's when any process
   * on the way is in the session of a running agent, carries a run marker of this repository,
   * or is the supervisor itself — everything the supervisor starts descends from it, and
   * orphans come back to it as subreaper. Not the environment or the working directory the
   * client says it has: those are the caller's to choose.
   */
  originOf(peer: Peer | null): Origin {
    if (!peer || !this.enabled || peer.pid === process.pid) return { kind: 'operator' };
    const first = readStat(peer.pid);
    if (!isLive(first) || (peer.start !== null && first.start !== peer.start)) {
      return { kind: 'unknown', why: `the process that sent it (pid ${peer.pid}) has exited, so where it came from cannot be checked` };
    }
    const running = new Map<number, TaskId>();
    for (const t of this.cell.state.tasks) if (!t.host) for (const s of t.sessions) if (s.pid && s.endedAt === null) running.set(s.pid, t.id);
    const gate = gateMarker(runKey(this.cell.integrationPath));
    const agent = (task: TaskId | null, how: string): Origin => ({ kind: 'agent', task, pid: first.pid, comm: first.comm, how });
    let p: ProcStat | null = first;
    for (let hops = 0; p && hops < 200; hops++) {
      if (p.pid === process.pid) return agent(null, 'it descends from the supervisor, which starts only agents, their setup and gates');
      if (this.workerPid && p.pid === this.workerPid)
        return agent(null, "it descends from the supervisor's terminal worker, which runs only agents and their setup");
      const bySession = running.get(p.sid) ?? running.get(p.pid);
      if (bySession) return agent(bySession, `it runs in the session of task #${bySession}'s agent`);
      const marker = readEnvVar(p.pid, RUN_MARKER_VAR);
      const byMarker = taskOfMarker(this.key, marker);
      if (byMarker) return agent(byMarker, `it was started from task #${byMarker}'s run (${RUN_MARKER_VAR})`);
      if (marker === gate) return agent(null, 'it was started by a quality gate');
      if (p.ppid <= 1) break;
      p = readStat(p.ppid);
    }
    return { kind: 'operator' };
  }
}
