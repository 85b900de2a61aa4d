import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BUILTIN_AGENTS } from './schema.js';

export interface Gate {
  name: string;
  run: string;
}

/** Quality gates guessed from the project's own build files. */
export function proposeGates(root: string): Gate[] {
  const gates: Gate[] = [];
  const pkgFile = join(root, 'package.json');
  if (existsSync(pkgFile)) {
    try {
      const scripts = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
      for (const name of ['typecheck', 'lint', 'build', 'test']) {
        if (scripts[name] && !/no test specified/.test(scripts[name])) gates.push({ name, run: name === 'test' ? 'npm test' : `npm run ${name}` });
      }
    } catch {
      // an unreadable package.json proposes nothing
    }
  }
  const makefile = join(root, 'Makefile');
  if (existsSync(makefile) && /^test:/m.test(readFileSync(makefile, 'utf8'))) gates.push({ name: 'test', run: 'make test' });
  if (existsSync(join(root, 'Cargo.toml'))) gates.push({ name: 'test', run: 'cargo test' });
  if (existsSync(join(root, 'go.mod'))) gates.push({ name: 'test', run: 'go test ./...' });
  if (existsSync(join(root, 'pyproject.toml'))) gates.push({ name: 'test', run: 'python -m pytest' });
  const seen = new Set<string>();
  return gates.filter((g) => !seen.has(g.name) && seen.add(g.name));
}

/** The agent CLIs `init` looks for, in order of preference; `shell` (bash) when none is installed. */
export const DETECTED_AGENTS = ['claude', 'codex', 'gemini', 'aider'] as const;

/** The first built-in agent whose command is on `PATH`, else `shell`. */
export function detectDefaultAgent(path: string | undefined): string {
  const dirs = (path ?? '').split(delimiter).filter(Boolean);
  const found = DETECTED_AGENTS.find((name) => {
    const command = BUILTIN_AGENTS[name]?.command ?? name;
    return dirs.some((dir) => isExecutable(join(dir, command)));
  });
  return found ?? 'shell';
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A YAML scalar for a branch name: plain when YAML reads it back as that string, else quoted. */
function scalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~|[-+.\d][\d._]*)$/i.test(value) ? value : JSON.stringify(value);
}

function agentNote(agent: string | undefined): string {
  if (agent === undefined) return '';
  if (agent === 'shell') return `   # none of ${DETECTED_AGENTS.join(', ')} is on PATH: tasks get a bash shell`;
  return '   # found on PATH when muster init ran';
}

/** The commented `.muster/config.yaml` that `muster init` writes; it always loads as it is. */
export function defaultConfigText(opts: { target: string; gates: Gate[]; hasPackageJson: boolean; defaultAgent?: string }): string {
  // An empty list is written as one: a key followed only by comments would read as null.
  const gates = opts.gates.length
    ? `quality_gates:\n${opts.gates.map((g) => `  - { name: ${g.name}, run: ${JSON.stringify(g.run)} }`).join('\n')}`
    : 'quality_gates: []\n#  - { name: test, run: "npm test" }';
  return `# muster configuration. Every key is optional; the values shown are the defaults
# unless marked "proposed". Reference: README.md, section "Configuration".

# Agent presets. {prompt} and {prompt_file} are substituted in args; agents are started
# with an argument vector, never through a shell. Built in: claude, codex, aider, gemini, shell.
agents: {}
#  claude: { command: claude, args: ["{prompt}"], env: {} }
#  mybot:  { command: ./scripts/bot.sh, args: ["--task", "{prompt_file}"] }
default_agent: ${opts.defaultAgent ?? 'claude'}${agentNote(opts.defaultAgent)}

parallel:
  max_workers: 4             # agents that run at once

worktrees:
  dir: ../{repo}.worktrees   # outside the checkout, so its watchers never crawl agent worktrees
  setup: []                  # shell commands run in a new worktree, e.g. ["${opts.hasPackageJson ? 'npm ci' : 'make deps'}"]
  copy: []                   # untracked files copied from the main worktree, e.g. [".env"]

ports:
  base: 20000                # task slot k gets [base + k*block, base + (k+1)*block)
  block: 10
  slots: 32
  names: []                  # e.g. [dev_server, test_runner] -> MUSTER_PORT_DEV_SERVER, ...

merge:
  target: ${scalar(opts.target)}
  strategy: merge            # merge (--no-ff) | rebase (then fast-forward) | squash

# Run on the merged result before the target moves; all must pass (proposed from this project).
${gates}

keys: {}                     # overrides of the key map, e.g. { detach: "ctrl+]" }
`;
}
