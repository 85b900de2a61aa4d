import { existsSync, mkdirSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { hostServedMarker } from '../../paths/muster-paths.js';
import { musterBin } from '../../paths/package-root.js';
import { installGuard, writeGuardHooks } from '../git/commit-guard.js';
import { git } from '../git/git.js';
import { writeMusterShim } from '../proc/muster-shim.js';
import type { WorkSnapshot } from './messages.js';

/** How long a worktree must be quiet before its work is snapshotted: an agent writes files in bursts. */
const SETTLE_MS = 300;

/** A repository key as the supervisor names it: one path segment, nothing a shell or git reads specially. */
function checkedKey(repo: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(repo) || repo.includes('..')) throw new Error(`not a repository key: ${JSON.stringify(repo)}`);
  return repo;
}

interface Watched {
  watchers: FSWatcher[];
  timer: NodeJS.Timeout | null;
  busy: boolean;
  again: boolean;
  last: { head: string; tree: string } | null;
}

/**
 * The git side of a worker on another host. Under its work directory, for each repository of a
 * supervisor: `<key>.git`, a bare repository the supervisor pushes task branches to and fetches
 * work from (with git over ssh), and `<key>/task-<id>`, the tasks' worktrees. After each change
 * in a worktree (a file written, a commit) it snapshots the work to `refs/muster/wip/<id>`
 * and tells the supervisor, which fetches it: nothing an agent does there is only there.
 */
export class HostWork {
  private readonly watched = new Map<string, Watched>();

  constructor(
    readonly dir: string,
    /** Told of each new snapshot. */
    private readonly onWork: (task: number, snap: WorkSnapshot) => void,
  ) {}

  private bare(repo: string): string {
    return join(this.dir, `${checkedKey(repo)}.git`);
  }

  worktree(repo: string, task: number): string {
    return join(this.dir, checkedKey(repo), `task-${task}`);
  }

  /** The task whose worktree `path` is in (the directory a process works in), or null. */
  taskAt(repo: string, path: string): number | null {
    const rel = relative(join(this.dir, checkedKey(repo)), path);
    const m = /^task-(\d+)$/.exec(rel.split(sep)[0] ?? '');
    return m && !rel.startsWith('..') ? Number(m[1]) : null;
  }

  /** Where this host's `muster` for agents is (first on their PATH). */
  get binDir(): string {
    return join(this.dir, '.muster', 'bin');
  }

  /** Where task `task`'s files (its prompt, its CLI's settings, its terminal log) are kept here. */
  private taskDir(repo: string, task: number): string {
    return join(this.tasksDir(repo), String(task));
  }

  private tasksDir(repo: string): string {
    return join(this.dir, checkedKey(repo), 'tasks');
  }

  /**
   * The bare repository, and where a task's files and this host's `muster` for agents will be:
   * the supervisor writes the agent's wiring with those paths before the one checkout.
   */
  async prepare(repo: string): Promise<{ gitDir: string; tasksDir: string; muster: string }> {
    const gitDir = this.bare(repo);
    if (!existsSync(join(gitDir, 'HEAD'))) {
      mkdirSync(gitDir, { recursive: true });
      await git(gitDir, ['init', '--quiet', '--bare']);
    }
    // Before any worktree exists: `muster` there must never start a supervisor of its own for the bare
    // repository (it would allow everything), even while no supervisor serves its calls here.
    const stateDir = join(gitDir, 'muster');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const marker = hostServedMarker(stateDir);
    if (!existsSync(marker)) writeFileSync(marker, 'served by the host worker\n', { mode: 0o600 });
    return { gitDir, tasksDir: this.tasksDir(repo), muster: join(this.binDir, 'muster') };
  }

  async checkout(p: {
    repo: string;
    task: number;
    branch: string;
    files: Record<string, string>;
  }): Promise<{ worktree: string; taskDir: string; gitDir: string; muster: string }> {
    const { gitDir } = await this.prepare(p.repo);
    const wt = this.worktree(p.repo, p.task);
    if (!existsSync(join(wt, '.git'))) {
      // A directory left by a checkout that died half-way holds nothing of the task's yet (its work is only ever on the branch).
      if (existsSync(wt)) rmSync(wt, { recursive: true, force: true });
      await git(gitDir, ['worktree', 'prune']);
      await git(gitDir, ['worktree', 'add', '--quiet', wt, p.branch]);
    }
    // On every checkout, not only a new one: a worktree made before per-worktree config was on has neither yet.
    // The commit guard, as in a local task's worktree: a commit of a path another task write-locks is refused.
    const hooks = join(this.dir, '.muster', 'hooks');
    writeGuardHooks(hooks, process.execPath, musterBin());
    const own = (await git(wt, ['rev-parse', '--absolute-git-dir'])).trim();
    await installGuard(gitDir, wt, hooks, own);
    // With per-worktree config on, the bare repository's core.bare=true would hold in every worktree ("must be run in a work tree").
    await git(wt, ['config', '--file', join(own, 'config.worktree'), 'core.bare', 'false']);
    const muster = join(writeMusterShim(join(this.dir, '.muster')), 'muster');
    const taskDir = this.taskDir(p.repo, p.task);
    mkdirSync(taskDir, { recursive: true });
    for (const [name, content] of Object.entries(p.files)) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`not a task file name: ${JSON.stringify(name)}`);
      writeFileSync(join(taskDir, name), content, { mode: 0o600 });
    }
    this.watch(p.repo, p.task, gitDir);
    return { worktree: wt, taskDir, gitDir, muster };
  }

  /** Commits everything in the worktree (untracked files too, ignored ones not) on top of HEAD, through a scratch index, and keeps it as refs/muster/wip/<task>. */
  async snapshot(repo: string, task: number): Promise<WorkSnapshot & { tree: string }> {
    const wt = this.worktree(repo, task);
    const gitDir = (await git(wt, ['rev-parse', '--absolute-git-dir'])).trim();
    const head = (await git(wt, ['rev-parse', 'HEAD'])).trim();
    const index = join(gitDir, 'muster-wip-index');
    const env = { ...process.env, GIT_INDEX_FILE: index };
    await git(wt, ['read-tree', 'HEAD'], { env });
    await git(wt, ['add', '--all', '--', '.'], { env });
    const tree = (await git(wt, ['write-tree'], { env })).trim();
    const ref = `refs/muster/wip/${task}`;
    const current = (await git(wt, ['for-each-ref', '--format=%(objectname) %(tree) %(parent)', ref])).trim().split(' ');
    // Unchanged work keeps its commit: the supervisor fetches nothing new, and a watch woken by this snapshot's own writes settles.
    if (current[1] === tree && current[2] === head) return { head, wip: current[0]!, tree };
    const wip = (await git(wt, ['commit-tree', tree, '-p', head, '-m', `muster: work in progress of task #${task}`], { env: withIdentity(env) })).trim();
    await git(wt, ['update-ref', ref, wip]);
    return { head, wip, tree };
  }

  private watch(repo: string, task: number, gitDir: string): void {
    const key = `${repo}/${task}`;
    if (this.watched.has(key)) return;
    const w: Watched = { watchers: [], timer: null, busy: false, again: false, last: null };
    this.watched.set(key, w);
    const changed = (): void => {
      if (w.timer) clearTimeout(w.timer);
      w.timer = setTimeout(() => void this.settle(repo, task, w), SETTLE_MS);
    };
    // The files, and the repository's refs and logs (a commit changes those, not the worktree).
    for (const d of [this.worktree(repo, task), join(gitDir, 'refs'), join(gitDir, 'logs')]) {
      try {
        mkdirSync(d, { recursive: true });
        const watcher = watch(d, { recursive: true }, changed);
        watcher.on('error', () => undefined);
        w.watchers.push(watcher);
      } catch {
        // gone meanwhile; the snapshots on request still work
      }
    }
    changed();
  }

  private async settle(repo: string, task: number, w: Watched): Promise<void> {
    if (w.busy) {
      w.again = true;
      return;
    }
    w.busy = true;
    try {
      const snap = await this.snapshot(repo, task);
      if (!w.last || w.last.head !== snap.head || w.last.tree !== snap.tree) {
        w.last = { head: snap.head, tree: snap.tree };
        this.onWork(task, { head: snap.head, wip: snap.wip });
      }
    } catch {
      // A worktree mid-operation (a rebase, a lock held): the next change snapshots again.
    } finally {
      w.busy = false;
      if (w.again) {
        w.again = false;
        void this.settle(repo, task, w);
      }
    }
  }

  close(): void {
    for (const w of this.watched.values()) {
      if (w.timer) clearTimeout(w.timer);
      for (const watcher of w.watchers) watcher.close();
    }
    this.watched.clear();
  }
}

/** commit-tree needs a name; a host's git may have none configured. */
function withIdentity(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: 'muster',
    GIT_AUTHOR_EMAIL: 'muster@localhost',
    GIT_COMMITTER_NAME: 'muster',
    GIT_COMMITTER_EMAIL: 'muster@localhost',
    ...env,
  };
}

/** The work directory as given (relative to home, as ssh's remote commands are). */
export function workDir(dir: string, home: string): string {
  return resolve(home, dir.startsWith('~/') ? dir.slice(2) : dir === '~' ? '.' : dir);
}
