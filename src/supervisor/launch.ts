import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { agentArgv, agentEnv, handoffNote, promptDocument } from '../core/agent-launch.js';
import { getTask } from '../core/task-queue.js';
import { formatId, type Task, type TaskId } from '../core/task.js';
import { git, runGit } from '../adapters/git/git.js';
import { addWorktree, listWorktrees } from '../adapters/git/worktrees.js';
import { processStartTime } from '../adapters/proc/process-info.js';
import { which } from '../adapters/proc/which.js';
import { agentPresets, type MusterConfig } from '../config/schema.js';
import type { Supervisor } from './supervisor.js';

/** Where task worktrees live: `worktrees.dir` resolved against the main worktree. */
export function worktreesRoot(config: MusterConfig, mainRoot: string): string {
  return resolve(mainRoot, config.worktrees.dir.replaceAll('{repo}', basename(mainRoot)));
}

export function worktreePath(config: MusterConfig, mainRoot: string, id: TaskId): string {
  return join(worktreesRoot(config, mainRoot), `task-${id}`);
}

/** A step of launching that failed in a way the operator can act on. */
export class LaunchError extends Error {}

/**
 * Brings a dispatched task to a running agent: worktree (new, or reused on retry), copied
 * files, setup commands shown in the task's terminal, PROMPT.md, then the agent itself.
 * The intent (state `running`, branch, worktree path, ports) is already durable.
 */
export async function launchTask(sup: Supervisor, id: TaskId): Promise<void> {
  const paths = sup.ctx.paths;
  const mainRoot = paths.repo.mainRoot;
  const term = sup.runtime.terminal(id);
  let task = mustGet(sup, id);
  const session = task.sessions.length;
  term.note(`session ${session}: ${task.agent}${task.sessions.length > 1 ? ' (restart)' : ''}`);

  // An agent that cannot run fails before any worktree is made for it.
  const preset = agentPresets(sup.config)[task.agent];
  if (!preset) throw new LaunchError(`agent preset "${task.agent}" is not configured; assign another agent with "muster task assign ${id} --agent NAME".`);
  const lookupEnv = { ...baseEnv(sup), ...preset.env };
  const worktree = task.worktree ?? worktreePath(sup.config, mainRoot, id);
  if (!which(preset.command, lookupEnv, existsSync(worktree) ? worktree : mainRoot)) {
    throw new LaunchError(`agent command "${preset.command}" (preset "${task.agent}") is not on PATH; install it or change the preset in .muster/config.yaml.`);
  }
  const fresh = !(await isRegisteredWorktree(mainRoot, worktree));
  if (fresh) {
    if (existsSync(worktree)) throw new LaunchError(`${worktree} exists but is not a git worktree; move it away, then retry ${formatId(id)}.`);
    const base = await targetTip(sup);
    mkdirSync(dirname(worktree), { recursive: true });
    const branch = task.branch ?? `muster/${id}`;
    const { newBranch } = await addWorktree(mainRoot, worktree, branch, base, `muster task #${id}`, sup.ctx.paths.repo.commonDir);
    await sup.patchTask(id, { worktree, base: newBranch ? base : (task.base ?? base), reason: 'setting up' });
    copyConfiguredFiles(sup.config.worktrees.copy, mainRoot, worktree);
    for (const cmd of sup.config.worktrees.setup) {
      await sup.patchTask(id, { reason: `setup: ${cmd}` });
      term.note(`setup: ${cmd}`);
      const run = term.run(['/bin/sh', '-c', cmd], { cwd: worktree, env: baseEnv(sup) });
      const exit = await run.exited;
      if (exit.exitCode !== 0) throw new LaunchError(`setup command "${cmd}" exited with code ${exit.exitCode} in ${worktree}; fix it in .muster/config.yaml or the worktree, then retry ${formatId(id)}.`);
    }
  }
  await sup.afterWorktreeReady(id, worktree);

  task = mustGet(sup, id);
  const taskDir = join(paths.tasksDir, String(id));
  mkdirSync(taskDir, { recursive: true });
  const promptFile = join(taskDir, 'PROMPT.md');
  const handoff = task.handoffFrom ? await buildHandoff(sup, task, task.handoffFrom, worktree) : null;
  writeFileSync(promptFile, promptDocument(task, handoff));
  const env = { ...baseEnv(sup), ...agentEnv({ taskId: id, mainRoot, contextFile: sup.contextFile, promptFile, ports: task.ports, presetEnv: preset.env }) };
  const resolved = which(preset.command, env, worktree);
  if (!resolved) throw new LaunchError(`agent command "${preset.command}" (preset "${task.agent}") is not on PATH; install it or change the preset in .muster/config.yaml.`);
  const argv = agentArgv({ ...preset, command: resolved }, task.prompt, promptFile);
  const pid = sup.runtime.spawn(id, session, argv, worktree, env, (exit, stoppedByUs) => void sup.onAgentExit(id, session, exit, stoppedByUs));
  await sup.recordSessionStart(id, session, pid, processStartTime(pid), task.handoffFrom !== null);
}

function mustGet(sup: Supervisor, id: TaskId): Task {
  const t = getTask(sup.state, id);
  if (!t) throw new LaunchError(`task ${formatId(id)} disappeared while starting`);
  return t;
}

async function isRegisteredWorktree(mainRoot: string, path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  return (await listWorktrees(mainRoot)).some((w) => w.path === path);
}

async function targetTip(sup: Supervisor): Promise<string> {
  // A new branch starts from the tip as it is now, not as the status cache last saw it.
  sup.forgetTip();
  const tip = await sup.targetTip();
  if (!tip) throw new LaunchError(`the target branch "${sup.ctx.target}" has no commit yet; commit something to it (or set merge.target), then retry.`);
  return tip;
}

function copyConfiguredFiles(files: readonly string[], from: string, to: string): void {
  for (const f of files) {
    const src = join(from, f);
    const dst = join(to, f);
    if (!existsSync(src) || existsSync(dst)) continue;
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
  }
}

/** The supervisor's environment for child processes, with `muster` on PATH and no stale task id. */
function baseEnv(sup: Supervisor): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MUSTER_')) env[k] = v;
  env.PATH = `${sup.shimDir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  env.TERM = 'xterm-256color';
  env.COLORTERM = env.COLORTERM ?? 'truecolor';
  delete env.MUSTER_SPAWNED;
  return env;
}

async function buildHandoff(sup: Supervisor, task: Task, from: string, worktree: string): Promise<string> {
  const base = task.base ?? 'HEAD';
  const commits = (await runGit(worktree, ['log', '--oneline', '--no-decorate', `${base}..HEAD`])).stdout;
  const committed = (await runGit(worktree, ['diff', '--stat', base])).stdout;
  const untracked = (await git(worktree, ['ls-files', '--others', '--exclude-standard'])).trim();
  const diffStat = `${committed}${untracked ? `\nuntracked:\n${untracked}\n` : ''}`;
  return handoffNote({ taskId: task.id, fromAgent: from, toAgent: task.agent, diffStat, commits, contextEntries: sup.contextEntriesOf(task.id) });
}
