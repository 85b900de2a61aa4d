import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from './git.js';

/** What is on disk in a worktree, as an archive must account for it. Paths are relative, `/`-separated. */
export interface WorktreeInventory {
  /** Every regular file and symlink, outside `.git` entries and the directories left out. */
  files: string[];
  /** Directories that hold a repository of their own (a `.git` directory or file), outermost first. */
  nested: string[];
  /** Git-ignored directories with a regenerable name (`worktrees.archive_exclude`) and nothing tracked in them. */
  skipped: string[];
  /** Sockets, fifos and devices: git cannot store them, and they hold no work. */
  special: string[];
}

interface Pending {
  /** Relative to the worktree. */
  rel: string;
  /** The repository the directory belongs to: '' for the worktree itself, else a nested root. */
  owner: string;
}

const relTo = (owner: string, rel: string): string => (owner ? rel.slice(owner.length + 1) : rel);

/**
 * Lists everything in a worktree by walking the file system, not by asking git: it is the
 * measure a snapshot is checked against before the worktree may go. A directory named in
 * `skipNames` is left out only when its own repository ignores it and tracks nothing in it
 * (a dependency install or build cache that setup regenerates); anything else is walked.
 */
export async function inventoryWorktree(root: string, skipNames: readonly string[]): Promise<WorktreeInventory> {
  const inv: WorktreeInventory = { files: [], nested: [], skipped: [], special: [] };
  const skip = new Set(skipNames);
  let queue: Pending[] = [{ rel: '', owner: '' }];
  while (queue.length) {
    const candidates: Pending[] = [];
    for (let i = 0; i < queue.length; i++) {
      const dir = queue[i]!;
      const entries = await readdir(join(root, dir.rel), { withFileTypes: true });
      let owner = dir.owner;
      if (dir.rel !== '' && entries.some((e) => e.name === '.git')) {
        inv.nested.push(dir.rel);
        owner = dir.rel;
      }
      for (const e of entries) {
        if (e.name === '.git') continue;
        const rel = dir.rel ? `${dir.rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (skip.has(e.name)) candidates.push({ rel, owner });
          else queue.push({ rel, owner });
        } else if (e.isFile() || e.isSymbolicLink()) inv.files.push(rel);
        else inv.special.push(rel);
      }
    }
    queue = [];
    const byOwner = new Map<string, Pending[]>();
    for (const c of candidates) byOwner.set(c.owner, [...(byOwner.get(c.owner) ?? []), c]);
    for (const [owner, dirs] of byOwner) {
      const leaveOut = await regenerable(
        join(root, owner),
        dirs.map((d) => relTo(owner, d.rel)),
      );
      for (const d of dirs) {
        if (leaveOut.has(relTo(owner, d.rel))) inv.skipped.push(d.rel);
        else queue.push(d);
      }
    }
  }
  inv.nested.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  return inv;
}

/** Of `dirs` (relative to the repository at `repoDir`), those it ignores and tracks nothing in, neither in its index nor in HEAD. */
async function regenerable(repoDir: string, dirs: string[]): Promise<Set<string>> {
  const ignored = await runGit(repoDir, ['check-ignore', '-z', '--stdin'], { input: dirs.map((d) => `${d}/\0`).join('') });
  // Exit 1: nothing ignored. Anything else but 0 is an error, and then nothing is left out.
  if (ignored.exitCode !== 0) return new Set();
  const out = new Set(
    ignored.stdout
      .split('\0')
      .filter(Boolean)
      .map((d) => d.replace(/\/$/, '')),
  );
  const specs = [...out].map((d) => `:(literal)${d}/`);
  if (!specs.length) return out;
  const indexed = await runGit(repoDir, ['ls-files', '-z', '--cached', '--', ...specs]);
  if (indexed.exitCode !== 0) return new Set();
  const committed = await runGit(repoDir, ['ls-tree', '-r', '-z', '--name-only', 'HEAD', '--', ...[...out].map((d) => `${d}/`)]);
  const tracked = [...indexed.stdout.split('\0'), ...(committed.exitCode === 0 ? committed.stdout.split('\0') : [])].filter(Boolean);
  for (const path of tracked) for (const d of out) if (path.startsWith(`${d}/`)) out.delete(d);
  return out;
}
