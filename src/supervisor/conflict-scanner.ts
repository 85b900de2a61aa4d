import { isScannedForConflicts } from '../core/task-states.js';
import { join } from 'node:path';
import { classifyConflicts, diffConflicts, overlapPairs, type Conflict, type MergeCheck, type PortHolding, type TaskChanges } from '../core/conflicts.js';
import type { FileChange } from '../core/conflict-overlap.js';
import type { ScanFailure } from '../core/conflicts.js';
import type { Task, TaskId } from '../core/task.js';
import { GitError, readHeadCommit, resolveCommit } from '../adapters/git/git.js';
import { locateRepo, type RepoPaths } from '../paths/repo.js';
import { changedSince, changesBetween, mergeTree, scanSnapshot, ScanScratch } from '../adapters/git/scan.js';
import { descendsFrom, listenersOn } from '../adapters/proc/listeners.js';
import { watchTree } from '../adapters/watch/tree-watch.js';
import type { StateCell } from './state-cell.js';
import { ensureDir, pathExists } from '../adapters/fs/files.js';
import { headCommitOf, looseObjectCount } from '../adapters/git/history.js';

interface TaskScan {
  head: string;
  snapshot: string;
  base: string;
  changes: FileChange[];
}

/** Tasks whose work is somewhere to look at: a worktree that exists. */
const DEBOUNCE_MS = 400;
const PERIOD_MS = 5000;
/** Git processes of one scan at a time (snapshots, then merge-trees). */
const SCAN_CONCURRENCY = 4;

/**
 * Finds conflicts while agents work: each task's worktree snapshotted (scratch objects, a
 * private index), an overlap pre-filter, `git merge-tree` only where it can matter, plus lock,
 * undeclared, stale and port findings. Rescans on file changes in worktrees (debounced),
 * on commits and target moves (a cheap periodic check), never on a hot path of its own.
 */
export class ConflictScanner {
  conflicts: Conflict[] = [];
  lastScanMs = 0;
  private readonly scans = new Map<TaskId, TaskScan>();
  private readonly dirty = new Set<TaskId>();
  private readonly merges = new Map<string, { clean: boolean; paths: string[] }>();
  private readonly targetDiffs = new Map<string, string[]>();
  private readonly watchers = new Map<TaskId, { path: string; close: () => Promise<void> }>();
  private readonly gitDirs = new Map<string, RepoPaths>();
  private scratch: ScanScratch;
  private timer: NodeJS.Timeout | null = null;
  private periodic: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Snapshots and merge-trees since the scratch objects were last counted. */
  private scratchWrites = 0;

  constructor(private readonly cell: StateCell) {
    const paths = cell.ctx.paths;
    this.scratch = new ScanScratch(join(paths.stateDir, 'scan'), join(paths.repo.commonDir, 'objects'));
  }

  async start(): Promise<void> {
    await this.scratch.reset();
    ensureDir(join(this.cell.ctx.paths.stateDir, 'scan', 'index'));
    this.periodic = setInterval(() => this.request(), PERIOD_MS);
    this.periodic.unref();
    this.request();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.periodic) clearInterval(this.periodic);
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    this.watchers.clear();
    await this.running;
  }

  /** Asks for a scan soon; many asks in a row make one scan. */
  request(task?: TaskId): void {
    if (task !== undefined) this.dirty.add(task);
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.scan();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  /** One scan at a time; a request during a scan runs another right after it. */
  async scan(): Promise<Conflict[]> {
    if (this.running) {
      this.again = true;
      await this.running;
      return this.conflicts;
    }
    this.running = this.scanOnce().finally(() => {
      this.running = null;
    });
    await this.running;
    if (this.again && !this.stopped) {
      this.again = false;
      return this.scan();
    }
    return this.conflicts;
  }

  private async scanOnce(): Promise<void> {
    const started = Date.now();
    const sup = this.cell;
    const repo = sup.ctx.paths.repo.mainRoot;
    // A task on another host is scanned from the work fetched from there (its branch and refs/muster/wip/<id>).
    const tasks = sup.state.tasks.filter((t) => isScannedForConflicts(t.state) && t.base && (t.host ? t.branch : t.worktree && pathExists(t.worktree)));
    this.syncWatchers(tasks.filter((t) => !t.host));
    if (!tasks.length && !this.conflicts.length) {
      this.lastScanMs = Date.now() - started;
      return;
    }
    const tip = await sup.targetTip();
    const inputs: TaskChanges[] = [];
    const scanFailures: ScanFailure[] = [];
    const scanned = await inTurns(tasks, SCAN_CONCURRENCY, async (t) => {
      try {
        return { t, s: await this.scanTask(t), error: null };
      } catch (e) {
        return { t, s: null, error: e };
      }
    });
    for (const { t, s, error } of scanned) {
      if (s) {
        inputs.push({ task: t.id, risk: t.risk, writes: t.writes, reads: t.reads, base: s.base, changes: s.changes });
      } else {
        // Its last result would be stale, and nothing shows it as conflict-free: the scan says it failed, and tries again next time.
        this.scans.delete(t.id);
        scanFailures.push({ task: t.id, error: whatFailed(error) });
      }
    }
    for (const id of [...this.scans.keys()]) if (!tasks.some((t) => t.id === id)) this.scans.delete(id);

    const merges: MergeCheck[] = [];
    const pairs = overlapPairs(inputs);
    const pairChecks = await inTurns(pairs, SCAN_CONCURRENCY, (pair) =>
      this.mergeCheck(repo, this.scans.get(pair.a)!.snapshot, this.scans.get(pair.b)!.snapshot),
    );
    pairs.forEach((pair, i) => {
      const r = pairChecks[i];
      if (r) merges.push({ a: pair.a, b: pair.b, ...r });
    });
    const targetChangesSince = new Map<TaskId, string[]>();
    if (tip) {
      for (const input of inputs) {
        const s = this.scans.get(input.task)!;
        if (s.base === tip || !input.changes.length) continue;
        const r = await this.mergeCheck(repo, s.snapshot, tip);
        if (r) merges.push({ a: input.task, b: 'target', ...r });
        targetChangesSince.set(input.task, await this.targetDiff(repo, s.base, tip));
      }
    }
    const ports = await this.portHoldings(tasks);
    const next = classifyConflicts({
      target: sup.ctx.target,
      tasks: inputs,
      locks: sup.state.locks,
      now: sup.now(),
      targetChangesSince,
      merges,
      ports,
      scanFailures,
    });
    const { added, removed } = diffConflicts(this.conflicts, next);
    this.conflicts = next;
    this.lastScanMs = Date.now() - started;
    if (added.length || removed.length) {
      sup.server?.broadcast('conflicts', next);
      if (added.length) sup.audit(added.map((c) => ({ actor: 'supervisor', kind: 'conflict-found', details: { ...c } })));
    }
    await this.collectScratch();
  }

  /** A task's snapshot and changes, recomputed only when its files or HEAD changed (or its last scan failed); throws what failed. */
  private async scanTask(t: Task): Promise<TaskScan> {
    if (t.host) return this.scanRemoteTask(t);
    const wt = t.worktree!;
    const prev = this.scans.get(t.id);
    const where = this.gitDirs.get(wt) ?? locateRepo(wt);
    this.gitDirs.set(wt, where);
    const head = (await readHeadCommit(where.gitDir, where.commonDir)) ?? (await headCommitOf(wt));
    if (prev && !this.dirty.has(t.id) && prev.head === head && prev.base === t.base) return prev;
    const gitDir = where.gitDir;
    const index = join(this.cell.ctx.paths.stateDir, 'scan', 'index', `task-${t.id}`);
    // Changes made while it runs mark the task again, and are not lost with this mark.
    this.dirty.delete(t.id);
    let snap: { head: string; commit: string };
    let changes: FileChange[] | null = null;
    try {
      snap = await scanSnapshot(wt, gitDir, this.scratch, index, head);
      this.scratchWrites++;
      if (!(prev && prev.snapshot === snap.commit && prev.base === t.base))
        changes = await changesBetween(this.cell.ctx.paths.repo.mainRoot, t.base!, snap.commit, this.scratch);
    } catch (e) {
      // Still changed: the next scan tries again rather than reusing what it had.
      this.dirty.add(t.id);
      throw e;
    }
    if (!changes) return prev!;
    // The same array object for an unchanged task lets the core reuse its matching work.
    const scan: TaskScan = { head: snap.head, snapshot: snap.commit, base: t.base!, changes };
    this.scans.set(t.id, scan);
    return scan;
  }

  /** A task on another host: its fetched work-in-progress snapshot when it is on top of its fetched branch, else the branch. */
  private async scanRemoteTask(t: Task): Promise<TaskScan> {
    const repo = this.cell.ctx.paths.repo.mainRoot;
    const prev = this.scans.get(t.id);
    const head = await resolveCommit(repo, `refs/heads/${t.branch!}`);
    if (!head) throw new Error(`its branch ${t.branch!} is not here yet (fetched from ${t.host!} after its first change)`);
    const wip = await resolveCommit(repo, `refs/muster/wip/${t.id}`);
    const snapshot = wip && (await resolveCommit(repo, `${wip}^`)) === head ? wip : head;
    if (prev && prev.snapshot === snapshot && prev.base === t.base) return prev;
    const changes = await changesBetween(repo, t.base!, snapshot, this.scratch);
    const scan: TaskScan = { head, snapshot, base: t.base!, changes };
    this.scans.set(t.id, scan);
    return scan;
  }

  private async mergeCheck(repo: string, a: string, b: string): Promise<{ clean: boolean; paths: string[] } | null> {
    const key = `${a}:${b}`;
    const hit = this.merges.get(key);
    if (hit) return hit;
    try {
      const r = await mergeTree(repo, a, b, this.scratch);
      this.scratchWrites++;
      this.merges.set(key, r);
      return r;
    } catch {
      return null;
    }
  }

  private async targetDiff(repo: string, base: string, tip: string): Promise<string[]> {
    const key = `${base}:${tip}`;
    let hit = this.targetDiffs.get(key);
    if (!hit) {
      hit = await changedSince(repo, base, tip);
      this.targetDiffs.set(key, hit);
    }
    return hit;
  }

  /** Ports of running tasks' slots that a process outside the task listens on. */
  private async portHoldings(tasks: Task[]): Promise<PortHolding[]> {
    const owners = new Map<number, Task>();
    for (const t of tasks) if (t.ports && t.state === 'running') for (let p = t.ports.base; p <= t.ports.last; p++) owners.set(p, t);
    if (!owners.size) return [];
    const out: PortHolding[] = [];
    for (const l of await listenersOn([...owners.keys()])) {
      const t = owners.get(l.port)!;
      const agent = t.sessions.at(-1)?.pid ?? null;
      const mine = l.pid !== null && agent !== null && (await descendsFrom(l.pid, agent));
      out.push({ task: t.id, port: l.port, pid: l.pid, owner: mine ? 'task' : 'foreign' });
    }
    return out;
  }

  private syncWatchers(tasks: Task[]): void {
    const want = new Map(tasks.filter((t) => t.state === 'running').map((t) => [t.id, t.worktree!]));
    for (const [id, w] of this.watchers) {
      if (want.get(id) !== w.path) {
        void w.close();
        this.watchers.delete(id);
      }
    }
    for (const [id, path] of want) {
      if (this.watchers.has(id)) continue;
      const w = watchTree(path, () => this.request(id));
      this.watchers.set(id, { path, close: w.close });
    }
  }

  /** Scratch objects pile up with every scan; past a size they are thrown away with the caches. */
  private async collectScratch(): Promise<void> {
    // Counting costs a git process: only once enough new work may have piled up.
    if (this.scratchWrites < 50) return;
    this.scratchWrites = 0;
    if (this.merges.size < 2000 && this.scans.size < 200) {
      const loose = await looseObjectCount(this.cell.ctx.paths.repo.mainRoot, this.scratch.env());
      if (loose < 20_000) return;
    }
    this.scans.clear();
    this.merges.clear();
    await this.scratch.reset();
  }
}

/**
 * `fn` over `items`, at most `limit` at a time, results in the order of `items`. Each git
 * process of a scan waits on the disk part of its time; run one after another, 32 worktrees'
 * snapshots and their merge-trees left the second core idle.
 */
async function inTurns<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What git said (its first line), or the error's message: for the scan-failed finding. */
function whatFailed(e: unknown): string {
  if (e instanceof GitError) {
    const said =
      e.stderr
        .trim()
        .split('\n')
        .find((l) => /^(fatal|error):/.test(l)) ?? e.stderr.trim().split('\n')[0];
    if (said) return `git ${e.args[0]}: ${said.replace(/^(fatal|error): /, '')}`;
  }
  return (e as Error).message.split('\n')[0] ?? String(e);
}
