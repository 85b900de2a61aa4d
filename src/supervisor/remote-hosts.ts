import { getTask } from '../core/task-queue.js';
import { formatId, type TaskId } from '../core/task.js';
import { fetchWork, remoteUrl, repoKeyOnHosts } from '../adapters/git/remote-git.js';
import type { HostedTerminal } from '../adapters/worker/messages.js';
import type { RunningProcess } from '../adapters/pty/task-terminal.js';
import { RemoteWorker } from '../adapters/worker/remote-worker.js';
import type { WorkerClient } from '../adapters/worker/worker-client.js';
import { RemoteCalls } from './remote-calls.js';
import type { StateCell } from './state-cell.js';

/** Why a task on a host that went away is stalled; the task runs again when the host is back. */
const AWAY = 'host away';

/**
 * The configured hosts' workers, one ssh connection each, made when a task first needs the
 * host. The supervisor stays the only writer of state: the hosts run agents and keep
 * worktrees, and their work comes here by git (fetched after each change the worker reports).
 * A host that goes away leaves its running tasks `stalled` (their agents run on there); when
 * the connection is back, tasks whose agents still run are `running` again.
 */
export class RemoteHosts {
  private readonly workers = new Map<string, RemoteWorker>();
  /** Where each host keeps this repository (its bare repository's absolute path there). */
  private readonly gitDirs = new Map<string, string>();
  private readonly fetching = new Map<TaskId, { running: Promise<void>; again: boolean }>();
  /** Tasks this supervisor stalled because their host went away. */
  private readonly away = new Set<TaskId>();
  /** Tasks whose running agent this supervisor follows (started or taken over here). */
  readonly attached = new Set<TaskId>();

  /** Takes over an agent a previous supervisor started on a host (its screen, input and exit). */
  onReattach: ((task: TaskId, session: number, proc: RunningProcess) => void) | null = null;
  /** Host `name` renews the leases of these tasks' locks (only tasks placed there are named). */
  onRenew: ((name: string, tasks: TaskId[]) => void) | null = null;
  private readonly calls: RemoteCalls;
  /** Per connection: whether the host's worker serves this repository's muster calls on it (settles once `serve` answered). */
  private readonly serving = new WeakMap<WorkerClient, Promise<string | null>>();
  /** Per connection: the renewal interval its worker was last given. */
  private readonly renewing = new WeakMap<WorkerClient, number>();

  constructor(private readonly cell: StateCell) {
    this.calls = new RemoteCalls(cell);
  }

  /**
   * After a restart: the tasks whose agents a previous supervisor left running on hosts
   * (stalled by reconcile, their sessions open) are looked for there, connecting with backoff
   * until each host answers; those still running there are taken over and `running` again.
   */
  resume(): void {
    const byHost = new Map<string, TaskId[]>();
    for (const t of this.cell.state.tasks) {
      const last = t.sessions.at(-1);
      if (!t.host || t.state !== 'stalled' || !last || last.endedAt !== null || last.pid === null) continue;
      this.away.add(t.id);
      byHost.set(t.host, [...(byHost.get(t.host) ?? []), t.id]);
    }
    for (const name of byHost.keys()) {
      if (!this.cell.config.hosts[name]) continue;
      this.worker(name).keepConnecting();
    }
  }

  /** The repository's name on hosts (adapters/git/remote-git.ts). */
  get repoKey(): string {
    return repoKeyOnHosts(this.cell.ctx.paths.repo.mainRoot);
  }

  worker(name: string): RemoteWorker {
    let w = this.workers.get(name);
    if (w) return w;
    const cfg = this.cell.config.hosts[name];
    if (!cfg) throw new Error(`host "${name}" is not under hosts: in the config`);
    w = new RemoteWorker({ name, ssh: cfg.ssh, dir: cfg.dir });
    const worker = w;
    w.onDown = (why) => void this.down(name, why);
    w.onUp = (terminals, client) => this.up(name, terminals, client);
    w.onWork = (e) => this.fetch(e.task);
    w.onCall = (e, client) => this.calls.handle(name, client, e);
    // A host speaks only for its own tasks: a task of this machine or another host named by it is not renewed.
    w.onRenew = (tasks) =>
      this.onRenew?.(
        name,
        tasks.filter((id) => getTask(this.cell.state, id)?.host === name),
      );
    this.workers.set(name, worker);
    return worker;
  }

  /**
   * Whether new work may be sent to host `name`: not while its connection is down after it
   * failed or ended (then it is tried again with backoff, and a dispatch pass follows when it
   * is back). A host not tried yet counts as reachable: the launch finds out.
   */
  reachable(name: string): boolean {
    if (!this.isAway(name)) return true;
    this.workers.get(name)!.keepConnecting();
    return false;
  }

  /** Whether host `name`'s connection is down after it failed or ended (what `status` shows; nothing is retried by asking). */
  isAway(name: string): boolean {
    const w = this.workers.get(name);
    return !!w && !w.isConnected && w.lastError !== null;
  }

  /**
   * The bare repository on host `name` for this repository, made there if needed: its git url,
   * where a task's files go there (`<tasksDir>/<id>`) and the host's `muster` for agents.
   */
  async prepare(name: string): Promise<{ url: string; tasksDir: string; muster: string }> {
    const { gitDir, tasksDir, muster } = await this.worker(name).call('prepare', { repo: this.repoKey });
    this.gitDirs.set(name, gitDir);
    return { url: remoteUrl(this.cell.config.hosts[name]!.ssh, gitDir), tasksDir, muster };
  }

  /** Brings a remote task's branch and work-in-progress here; one fetch at a time per task, the last change never missed. */
  fetch(id: TaskId): Promise<void> {
    const f = this.fetching.get(id);
    if (f) {
      f.again = true;
      return f.running;
    }
    const entry = { running: Promise.resolve(), again: false };
    entry.running = (async () => {
      do {
        entry.again = false;
        const task = getTask(this.cell.state, id);
        const gitDir = task?.host ? this.gitDirs.get(task.host) : undefined;
        if (!task?.host || !task.branch || !gitDir) return;
        try {
          await fetchWork(this.cell.ctx.paths.repo.mainRoot, remoteUrl(this.cell.config.hosts[task.host]!.ssh, gitDir), task.branch, id);
          this.cell.audit([{ actor: 'supervisor', kind: 'remote-work-fetched', details: { task: id, host: task.host } }]);
          this.cell.onScan();
        } catch (e) {
          this.cell.faults.report(`the work of ${formatId(id)} could not be fetched from ${task.host}: ${(e as Error).message}`);
        }
      } while (entry.again);
    })().finally(() => this.fetching.delete(id));
    this.fetching.set(id, entry);
    return entry.running;
  }

  private async down(name: string, why: string): Promise<void> {
    this.calls.hostDown(name);
    if (this.cell.isStopping) return;
    const tasks = this.cell.state.tasks.filter((t) => t.host === name && t.state === 'running');
    for (const t of tasks) {
      this.away.add(t.id);
      await this.cell
        .moveTask(t.id, 'stalled', `${AWAY}: ${name} is unreachable (${why}); its agent runs on there, and the task resumes when the host is back`, [
          { actor: 'supervisor', kind: 'task-stalled', details: { task: t.id, why: `host ${name} unreachable`, host: name } },
        ])
        .catch((e: unknown) => this.cell.faults.report(`${formatId(t.id)} could not be marked stalled: ${(e as Error).message}`));
    }
  }

  /**
   * Why no agent may start on host `name` over `client`: its worker does not serve this
   * repository's muster calls there (an agent's `muster` would find no supervisor); null when it does.
   */
  async notServing(name: string, client: WorkerClient): Promise<string | null> {
    return (
      (await this.serving.get(client)) ?? (this.serving.has(client) ? null : `host ${name}'s connection was not set up to serve this repository's muster calls`)
    );
  }

  /** How often host `name`'s worker renews its tasks' leases: every quarter of the configured lease. */
  private renewMs(name: string): number {
    return ((this.cell.config.hosts[name]?.lock_lease_seconds ?? 120) * 1000) / 4;
  }

  /**
   * The config was reloaded: a host whose lease length changed is told at once on its current
   * connection (`serve` again restarts its renewals on the new schedule, and renews now), or a
   * lease cut from an hour to a minute would lapse before the old schedule renewed it.
   */
  configChanged(): void {
    for (const [name, worker] of this.workers) {
      const client = worker.current;
      const renewMs = this.renewMs(name);
      if (!client || !this.cell.config.hosts[name] || this.renewing.get(client) === renewMs) continue;
      this.renewing.set(client, renewMs);
      // Only once the connection's first `serve` has answered: the worker then knows the repository.
      void this.serving.get(client)?.then((unserved) => {
        if (unserved || !worker.isCurrent(client) || this.renewing.get(client) !== renewMs) return;
        client.call('serve', { repo: this.repoKey, renewMs }).catch((e: unknown) => {
          if (!client.isClosed) this.cell.faults.report(`host ${name} was not told its new lock lease (${renewMs * 4} ms): ${(e as Error).message}`);
        });
      });
    }
  }

  private async up(name: string, terminals: HostedTerminal[], client: WorkerClient): Promise<void> {
    // Each connection: the agents' muster calls there come to this supervisor, and the host renews their locks' leases.
    const renewMs = this.renewMs(name);
    this.renewing.set(client, renewMs);
    const served = client.call('serve', { repo: this.repoKey, renewMs }).then(
      () => null,
      (e: unknown) => {
        const why = `host ${name} does not forward its agents' muster calls: ${(e as Error).message}`;
        // A connection that dropped meanwhile is told once, as the host being away.
        if (!client.isClosed) this.cell.faults.report(why);
        return why;
      },
    );
    // Before anything awaits: a launch that got this connection waits for the answer.
    this.serving.set(client, served);
    // Tasks that waited for this host (or passed it over) may go there now.
    this.cell.scheduleDispatch();
    await served;
    const worker = this.workers.get(name);
    for (const id of [...this.away]) {
      // The connection dropped meanwhile: its tasks stay stalled (down() has told why), the next connection resumes them.
      if (!worker?.isCurrent(client)) return;
      const task = getTask(this.cell.state, id);
      if (!task || task.host !== name) continue;
      this.away.delete(id);
      if (task.state !== 'stalled') continue;
      const pid = task.sessions.at(-1)?.pid;
      // Running there still, or ended meanwhile (its exit is told right after and moves it on).
      const there = terminals.find((t) => t.task === id && pid !== null && (t.pid === pid || t.lastExit?.pid === pid));
      if (!there) continue;
      await this.cell.moveTask(id, 'running', null, [{ actor: 'supervisor', kind: 'task-resumed', details: { task: id, host: name } }]);
      if (!this.gitDirs.has(name)) await this.prepare(name).catch(() => undefined);
      // Started by a previous supervisor: nothing here hears it yet.
      const session = task.sessions.at(-1)!;
      const proc = this.workers.get(name)?.running(there.pid === pid ? there : { ...there, pid: pid! });
      if (proc && !this.attached.has(id)) {
        this.attached.add(id);
        this.onReattach?.(id, session.n, proc);
      }
      void this.fetch(id);
    }
  }

  close(): void {
    for (const w of this.workers.values()) w.close();
  }
}
