import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceText } from '../fs/files.js';
import { git, runGit } from './git.js';

/** Client-side hooks a worktree may run; each is chained to the repository's own. */
const HOOKS = [
  'applypatch-msg',
  'pre-applypatch',
  'post-applypatch',
  'pre-commit',
  'pre-merge-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-rebase',
  'post-checkout',
  'post-merge',
  'pre-push',
  'post-rewrite',
  'pre-auto-gc',
  'post-index-change',
  'sendemail-validate',
];

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The hook that runs the repository's own hook of the same name: the hooks path configured
 * anywhere but in this worktree's own config (husky's `.husky` included), else the common
 * hooks directory. So agent worktrees keep every hook the project has.
 */
function chain(name: string): string {
  return `orig=$(git config --show-scope --get-all core.hooksPath 2>/dev/null | grep -v '^worktree' | tail -n 1 | cut -f 2-)
[ -n "$orig" ] || orig="$(git rev-parse --git-common-dir)/hooks"
case "$orig" in
  /*) ;;
  "~/"*) orig="$HOME/\${orig#\\~/}" ;;
  *) orig="$(git rev-parse --show-toplevel)/$orig" ;;
esac
if [ -x "$orig/${name}" ]; then exec "$orig/${name}" "$@"; fi
exit 0
`;
}

/** Writes muster's hooks directory: the lock guard in pre-commit, every hook chained. */
export function writeGuardHooks(dir: string, node: string, bin: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of HOOKS) {
    const guard = name === 'pre-commit' ? `${sq(node)} ${sq(bin)} guard pre-commit || exit $?\n` : '';
    const text = `#!/bin/sh\n# Installed by muster for agent worktrees only (a per-worktree core.hooksPath).\n${guard}${chain(name)}`;
    replaceText(join(dir, name), text, 0o755);
  }
}

/**
 * Repositories whose `extensions.worktreeConfig` this process has set or is setting: tasks
 * dispatched together share one `git config` (two at once fail to lock `.git/config`).
 */
const worktreeConfigOn = new Map<string, Promise<void>>();

async function enableWorktreeConfig(mainRoot: string): Promise<void> {
  const ext = await runGit(mainRoot, ['config', '--bool', '--get', 'extensions.worktreeConfig']);
  if (ext.stdout.trim() === 'true') return;
  // Another git (the operator's, an editor's) may hold .git/config.lock for a moment.
  for (let attempt = 1; ; attempt++) {
    const r = await runGit(mainRoot, ['config', 'extensions.worktreeConfig', 'true']);
    if (r.exitCode === 0) return;
    if (attempt >= 20 || !/could not lock config file/.test(r.stderr)) {
      throw new Error(`git config extensions.worktreeConfig true failed in ${mainRoot} (exit ${r.exitCode}): ${r.stderr.trim()}`);
    }
    await new Promise((res) => setTimeout(res, 50 * attempt));
  }
}

/** A value in a git config file, quoted so any path reads back as it is. */
const configValue = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Points one agent worktree at muster's hooks with a per-worktree `core.hooksPath`
 * (`extensions.worktreeConfig`), leaving the main worktree's hooks configuration untouched.
 * A new worktree has no config of its own yet: its `config.worktree` is written directly
 * (each git process spawned costs the supervisor more than a dispatch's other work).
 */
export async function installGuard(mainRoot: string, worktree: string, hooksDir: string, worktreeGitDir?: string): Promise<void> {
  let enabling = worktreeConfigOn.get(mainRoot);
  if (!enabling) {
    enabling = enableWorktreeConfig(mainRoot);
    worktreeConfigOn.set(mainRoot, enabling);
    enabling.catch(() => worktreeConfigOn.delete(mainRoot));
  }
  await enabling;
  const own = worktreeGitDir ? join(worktreeGitDir, 'config.worktree') : null;
  if (own && !existsSync(own)) {
    writeFileSync(own, `[core]\n\thooksPath = ${configValue(hooksDir)}\n`);
    return;
  }
  await git(worktree, ['config', '--worktree', 'core.hooksPath', hooksDir]);
}

/** Paths a commit would touch: staged changes, both sides of a rename or copy. */
export async function stagedPaths(worktree: string): Promise<string[]> {
  const out = await git(worktree, ['diff', '--cached', '--name-status', '-M', '-z']);
  const fields = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; ) {
    const status = fields[i++];
    if (!status) break;
    const count = /^[RC]/.test(status) ? 2 : 1;
    for (let k = 0; k < count; k++) {
      const p = fields[i++];
      if (p) paths.push(p);
    }
  }
  return [...new Set(paths)];
}
