import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, runGit } from './git.js';
import { indexTreeOf } from './index-tree.js';
import { keepReflogOnlyCommits } from './reflog-keep.js';
import { inventoryWorktree, type WorktreeInventory } from './worktree-files.js';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'muster',
  GIT_AUTHOR_EMAIL: 'muster@localhost',
  GIT_COMMITTER_NAME: 'muster',
  GIT_COMMITTER_EMAIL: 'muster@localhost',
};

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** A commit of everything in a worktree, and what the walk of its disk found. */
export interface WorktreeSnapshot {
  /** The snapshot commit; HEAD itself when nothing differs from it; null for an empty worktree on an unborn branch. */
  commit: string | null;
  head: string | null;
  /** The tree of the files on disk (`commit`'s tree). */
  tree: string;
  /** The tree of the worktree's own index when it holds something neither HEAD nor the disk has: the snapshot's second parent (its first on an unborn branch) holds it. */
  indexTree: string | null;
  dirty: boolean;
  inventory: WorktreeInventory;
  /** Files on disk the snapshot's tree does not hold: the snapshot is complete only when empty. */
  missing: string[];
}

export interface SnapshotOptions {
  /** Directory names whose ignored content is regenerable and left out (`worktrees.archive_exclude`). */
  exclude: readonly string[];
  /** Lines for the commit message after the subject. */
  notes?: (inv: WorktreeInventory) => string[];
  /** Awaited while the temporary indexes exist: the fault suite's pause point for a kill mid-archive. */
  whileScratch?: () => Promise<void>;
}

/**
 * A commit of everything in a worktree, whose parent is its HEAD (none on an unborn branch):
 * tracked changes, untracked and ignored files (but for regenerable directories), and the
 * files of nested repositories as plain files. What the agent staged and then changed or
 * deleted on disk is kept too, as git stash keeps it: a commit of the worktree's index is a
 * second parent (the only one on an unborn branch) when the index holds what neither HEAD
 * nor the disk does. Made through temporary indexes and a copy of the agent's, so its own
 * index and files are never touched. `missing` lists what the walk of the disk found and the
 * tree lacks.
 */
export async function snapshotWorktree(worktree: string, message: string, opts: SnapshotOptions): Promise<WorktreeSnapshot> {
  const inventory = await inventoryWorktree(worktree, opts.exclude);
  // One git for all three: on an unborn branch (or a HEAD git cannot read) it fails, and the snapshot has no HEAD parent.
  const headRun = await runGit(worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'index', 'HEAD^{commit}', 'HEAD^{tree}']);
  const [indexFile, head, headTree] =
    headRun.exitCode === 0
      ? headRun.stdout.trim().split('\n')
      : [(await git(worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])).trim(), null, EMPTY_TREE];
  // Nested repositories' files go into the worktree's object store through its common git dir.
  const commonDir = inventory.nested.length ? (await git(worktree, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim() : '';
  // The pid in the name lets a starting supervisor remove the ones a killed one left (removeStaleTemps).
  const dir = await mkdtemp(join(tmpdir(), `muster-index-${process.pid}-`));
  try {
    await opts.whileScratch?.();
    const tree = await treeOf(worktree, '', inventory, { dir, commonDir, head: head ?? null, next: 0 });
    const missing = await missingFrom(worktree, tree, inventory.files);
    const staged = await indexTreeOf(worktree, indexFile!, dir);
    const indexTree = staged !== null && staged !== headTree && staged !== tree ? staged : null;
    if (tree === headTree && inventory.nested.length === 0 && indexTree === null) {
      return { commit: head ?? null, head: head ?? null, tree, indexTree, dirty: false, inventory, missing };
    }
    const notes = opts.notes?.(inventory) ?? [];
    const body = notes.length ? `${message}\n\n${notes.join('\n')}` : message;
    const env = { ...process.env, ...IDENTITY };
    const parents = head ? [head] : [];
    if (indexTree)
      parents.push(
        (await git(worktree, ['commit-tree', indexTree, ...(head ? ['-p', head] : []), '-m', `${message}: the index (what was staged)`], { env })).trim(),
      );
    const commit = (await git(worktree, ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', body], { env })).trim();
    return { commit, head: head ?? null, tree, indexTree, dirty: true, inventory, missing };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface TreeContext {
  dir: string;
  commonDir: string;
  head: string | null;
  next: number;
}

const inside = (parent: string, path: string): boolean => (parent === '' ? true : path.startsWith(`${parent}/`));

/**
 * The tree of the repository rooted at `rel` ('' is the worktree; else a nested repository,
 * whose files are written into the worktree's object store through its common git dir), with
 * the nested repositories directly below it grafted in as plain directories.
 */
async function treeOf(worktree: string, rel: string, inv: WorktreeInventory, ctx: TreeContext): Promise<string> {
  const top = rel === '';
  const cwd = top ? worktree : join(worktree, rel);
  const env: NodeJS.ProcessEnv = { ...process.env, ...IDENTITY, GIT_INDEX_FILE: join(ctx.dir, `index-${ctx.next++}`) };
  if (!top) Object.assign(env, { GIT_DIR: ctx.commonDir, GIT_WORK_TREE: cwd });
  const local = (p: string) => (top ? p : p.slice(rel.length + 1));
  const children = inv.nested.filter((n) => n !== rel && inside(rel, n) && !inv.nested.some((m) => m !== rel && m !== n && inside(rel, m) && inside(m, n)));
  const skipped = inv.skipped.filter((s) => inside(rel, s) && !inv.nested.some((m) => m !== rel && inside(rel, m) && inside(m, s)));
  await git(cwd, top && ctx.head ? ['read-tree', ctx.head] : ['read-tree', '--empty'], { env });
  const specs = ['.', ...[...children, ...skipped].map((p) => `:(exclude,literal)${local(p)}`)];
  await git(cwd, ['add', '--all', '--force', '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: `${specs.join('\0')}\0` });
  for (const child of children) {
    const sub = await treeOf(worktree, child, inv, ctx);
    // A submodule's gitlink (or files committed before the directory became a repository) makes way for its files.
    await git(cwd, ['rm', '--cached', '-r', '-f', '-q', '--ignore-unmatch', '--', `:(literal)${local(child)}`], { env });
    await git(cwd, ['read-tree', `--prefix=${local(child)}/`, sub], { env });
  }
  return (await git(cwd, ['write-tree'], { env })).trim();
}

/** Of `files`, those `tree` does not hold as a file or symlink. */
async function missingFrom(worktree: string, tree: string, files: string[]): Promise<string[]> {
  const out = await git(worktree, ['ls-tree', '-r', '-z', '--full-tree', tree]);
  const held = new Set<string>();
  for (const entry of out.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    if (entry.slice(0, tab).split(' ')[1] === 'blob') held.add(entry.slice(tab + 1));
  }
  return files.filter((f) => !held.has(f));
}

/** Refs under `refs/muster/archive/task-<id>/` with their commits, oldest first. */
export async function archiveRefs(repo: string, taskId: number): Promise<{ ref: string; commit: string }[]> {
  const r = await runGit(repo, ['for-each-ref', '--format=%(objectname) %(refname)', `refs/muster/archive/task-${taskId}/`]);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ commit: line.slice(0, line.indexOf(' ')), ref: line.slice(line.indexOf(' ') + 1) }))
    .sort((a, b) => Number(a.ref.split('/').pop()) - Number(b.ref.split('/').pop()));
}

declare const proven: unique symbol;

/**
 * Proof that everything in a worktree is kept under a ref: the only thing `removeWorktree`
 * accepts. `present` says whether its directory existed when it was archived.
 */
export interface KeptWork {
  readonly path: string;
  readonly present: boolean;
  readonly [proven]: true;
}

/** A task's work kept under `refs/muster/archive/task-<id>/<n>`, or why it could not all be kept. */
export type ArchiveOutcome =
  | {
      ok: true;
      /** Null when there was nothing to keep (no worktree, no branch, or an empty unborn one). */
      ref: string | null;
      commit: string | null;
      /** Nested repositories and where their refs were copied. */
      nested: { path: string; refs: string }[];
      /** Ignored, regenerable directories left out. */
      skipped: string[];
      /** Refs made for commits only the worktree's HEAD reflog reached (see `keepReflogOnlyCommits`). */
      reflog: string[];
      kept: KeptWork;
    }
  | { ok: false; reason: string };

/** Where the source of an archive is: the worktree (when its directory exists it is the only source), else its branch or detached HEAD. */
export interface ArchiveSource {
  worktree: string | null;
  branch: string | null;
  /** The worktree's HEAD as git's registry last saw it, for a detached worktree whose directory is gone. */
  head?: string | null;
}

const nestedPrefix = (taskId: number, n: number, k: number): string => `refs/muster/nested/task-${taskId}/${n}/${k}/`;

/**
 * Keeps a task's work under `refs/muster/archive/task-<id>/<n>`. When the worktree's directory
 * exists, the archive is a snapshot of all of it (see `snapshotWorktree`; its parent chain
 * holds every commit of the branch), the refs of any nested repository are copied under
 * `refs/muster/nested/task-<id>/<n>/<k>/`, and commits only its HEAD reflog still reaches are
 * kept under `refs/muster/reflog/task-<id>/<n>/<k>`; if the snapshot cannot be shown to hold
 * every file on disk the outcome says why and nothing may be removed. Without a directory,
 * the branch tip (or the detached HEAD) is kept. A snapshot the same as the newest archive
 * (same files, same HEAD, same index, same nested refs) reuses its ref.
 */
export async function archiveTaskWork(
  repo: string,
  taskId: number,
  source: ArchiveSource,
  why: string,
  opts: { exclude: readonly string[]; whileScratch?: () => Promise<void> },
): Promise<ArchiveOutcome> {
  try {
    const existing = await archiveRefs(repo, taskId);
    const newest = existing[existing.length - 1];
    const newestN = newest ? Number(newest.ref.split('/').pop()) : 0;
    const n = newestN + 1;
    const present = source.worktree !== null && existsSync(source.worktree);
    const kept = { path: source.worktree ?? '', present } as KeptWork;
    let commit: string | null = null;
    let nested: { path: string; refs: string }[] = [];
    let skipped: string[] = [];
    if (present) {
      const wt = source.worktree!;
      const snap = await snapshotWorktree(wt, `muster: archive of task #${taskId} (${why})`, {
        exclude: opts.exclude,
        whileScratch: opts.whileScratch,
        notes: (inv) => [
          ...inv.nested.map((p, i) => `nested repository ${p}: its files here, its refs under ${nestedPrefix(taskId, n, i + 1)}`),
          ...inv.skipped.map((p) => `left out (ignored, regenerable): ${p}/`),
        ],
      });
      if (snap.missing.length) return { ok: false, reason: `its snapshot would not hold ${listSome(snap.missing)}` };
      skipped = snap.inventory.skipped;
      if (newest && snap.dirty && (await sameSnapshot(repo, newest.commit, snap, wt, (k) => nestedPrefix(taskId, newestN, k)))) {
        nested = snap.inventory.nested.map((path, i) => ({ path, refs: nestedPrefix(taskId, newestN, i + 1) }));
        const reflog = await keepReflogOnlyCommits(repo, wt, `refs/muster/reflog/task-${taskId}/${newestN}/`);
        return { ok: true, ref: newest.ref, commit: newest.commit, nested, skipped, reflog, kept };
      }
      for (const [i, path] of snap.inventory.nested.entries()) {
        const refs = nestedPrefix(taskId, n, i + 1);
        const copied = await copyNestedRefs(repo, join(wt, path), refs);
        if (copied !== true) return { ok: false, reason: `the commits of its nested repository ${path} could not be kept (${copied})` };
        nested.push({ path, refs });
      }
      commit = snap.commit;
    } else {
      if (source.branch) {
        const r = await runGit(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${source.branch}^{commit}`]);
        if (r.exitCode === 0) commit = r.stdout.trim();
      }
      if (!commit && source.head) {
        const r = await runGit(repo, ['rev-parse', '--verify', '--quiet', `${source.head}^{commit}`]);
        if (r.exitCode === 0) commit = r.stdout.trim();
      }
    }
    let ref: string | null = null;
    if (commit && newest?.commit === commit) ref = newest.ref;
    else if (commit) {
      ref = `refs/muster/archive/task-${taskId}/${n}`;
      await git(repo, ['update-ref', '-m', `muster: ${why}`, ref, commit, '']);
    }
    // After the archive ref exists: what it reaches needs no ref of its own.
    const refN = ref === newest?.ref ? newestN : n;
    const reflog = present ? await keepReflogOnlyCommits(repo, source.worktree!, `refs/muster/reflog/task-${taskId}/${refN}/`) : [];
    return { ok: true, ref, commit, nested, skipped, reflog, kept };
  } catch (e) {
    return { ok: false, reason: `it could not be archived (${gitSaid(e as Error)})` };
  }
}

/**
 * Whether the archive commit `old` already holds what `snap` would: the same files, the same
 * HEAD as its parent, the same index (or none), and nested repositories at the same paths
 * whose refs, as copied under `oldNested(k)`, are what they are now. Each snapshot is a new
 * commit (its time, the reason in its message), so its id says nothing.
 */
async function sameSnapshot(repo: string, old: string, snap: WorktreeSnapshot, worktree: string, oldNested: (k: number) => string): Promise<boolean> {
  const shown = await runGit(repo, ['show', '-s', '--format=%T %P%n%B', old]);
  if (shown.exitCode !== 0) return false;
  const [first = '', ...body] = shown.stdout.split('\n');
  const [tree, ...parents] = first.trim().split(' ').filter(Boolean);
  if (tree !== snap.tree) return false;
  const headParents = snap.head ? [snap.head] : [];
  if (parents.length !== headParents.length + (snap.indexTree ? 1 : 0) || headParents.some((p, i) => parents[i] !== p)) return false;
  if (snap.indexTree) {
    const index = await runGit(repo, ['show', '-s', '--format=%T %P', parents[headParents.length]!]);
    if (index.exitCode !== 0 || index.stdout.trim() !== [snap.indexTree, ...headParents].join(' ')) return false;
  }
  const oldNestedPaths = body.flatMap((l) => /^nested repository (.+): its files here, its refs under /.exec(l)?.[1] ?? []);
  if (oldNestedPaths.join('\0') !== snap.inventory.nested.join('\0')) return false;
  for (const [i, path] of snap.inventory.nested.entries()) {
    const [now, then] = await Promise.all([refsOf(join(worktree, path), '').catch(() => null), refsOf(repo, oldNested(i + 1))]);
    if (!now || now.size !== then.size || [...now].some(([name, sha]) => then.get(name) !== sha)) return false;
  }
  return true;
}

/** Copies every ref and the HEAD of the repository at `path` under `prefix`; true, or what went wrong. */
async function copyNestedRefs(repo: string, path: string, prefix: string): Promise<true | string> {
  const theirs = await refsOf(path, '').catch((e: unknown) => gitSaid(e as Error));
  if (typeof theirs === 'string') return theirs;
  if (theirs.size === 0) return true;
  const specs = [`+refs/*:${prefix}refs/*`, ...(theirs.has('HEAD') ? [`+HEAD:${prefix}HEAD`] : [])];
  const r = await runGit(repo, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-auto-gc', path, ...specs]);
  if (r.exitCode !== 0) return r.stderr.trim().split('\n')[0] ?? `git fetch exited ${r.exitCode}`;
  const ours = await refsOf(repo, prefix);
  for (const [name, sha] of theirs) if (ours.get(name) !== sha) return `${name} was not copied`;
  return true;
}

/** `refname -> sha` of a repository's refs (under `prefix`, which is stripped), HEAD included when it resolves. */
async function refsOf(repo: string, prefix: string): Promise<Map<string, string>> {
  const out = await git(repo, ['for-each-ref', '--format=%(objectname) %(refname)', ...(prefix ? [prefix] : [])]);
  const refs = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [sha, name] = line.split(' ');
    if (sha && name) refs.set(name.slice(prefix.length), sha);
  }
  if (!prefix) {
    const head = await runGit(repo, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    if (head.exitCode === 0) refs.set('HEAD', head.stdout.trim());
  }
  return refs;
}

/** What git itself said in a GitError's message (its first `fatal:`/`error:` line), else the message's first line. */
function gitSaid(e: Error): string {
  const first = e.message.split('\n')[0] ?? '';
  return /(?:fatal|error): (.*)$/.exec(first)?.[1] ?? first;
}

function listSome(paths: string[]): string {
  const shown = paths.slice(0, 3).join(', ');
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
}
