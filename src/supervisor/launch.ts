import { basename, dirname, join, resolve } from 'node:path';
import { agentArgv, agentEnv, execFailure, execTooBig, handoffNote } from '../core/agent-launch.js';
import { getTask } from '../core/task-queue.js';
import { conversationOf, formatId, type Task, type TaskId } from '../core/task.js';
import { copyIfAbsent, ensureDir, pathExists, writeText } from '../adapters/fs/files.js';
import { workSince } from '../adapters/git/changes.js';
import { addWorktree, listWorktrees } from '../adapters/git/worktrees.js';
import { processStartTime } from '../adapters/proc/process-info.js';
import { readPrompt } from '../adapters/store/prompt-files.js';
import { which } from '../adapters/proc/which.js';
import { agentPresets, type MusterConfig } from '../config/schema.js';
import { startedConversations, unstartedConversations, wireAgent, writeWiringFiles } from './agent-wiring.js';
import type { AgentRuntime } from './agent-runtime.js';
import type { AgentSessions } from './agent-sessions.js';
import type { ContextService } from './context-service.js';
import type { StateCell } from './state-cell.js';
import { pauseAt } from '../adapters/proc/test-pause.js';

/** Where task worktrees live: `worktrees.dir` resolved against the main worktree. */
export function worktreesRoot(config: MusterConfig, mainRoot: string): string {
  return resolve(mainRoot, config.worktrees.dir.replaceAll('{repo}', basename(mainRoot)));
}

export function worktreePath(config: MusterConfig, mainRoot: string, id: TaskId): string {
  return join(worktreesRoot(config, mainRoot), `task-${id}`);
}

/** A step of launching that failed in a way the operator can act on. */
export class LaunchError extends Error {}

/** The launch was given up because the supervisor stops or the task left `running` meanwhile: nothing failed. */
export class LaunchAbandoned extends Error {}

/**
 * An agent started now would outlive everything that could stop it (the worker keeps it): give
 * up before. So would one of a launch that a newer session replaced (the task was stopped and
 * started again meanwhile): it would run beside that session's agent in the same worktree.
 */
export function mustStillLaunch(sup: Pick<StateCell, 'isStopping' | 'state'>, id: TaskId, session: number): void {
  if (sup.isStopping) throw new LaunchAbandoned(`the supervisor stops; ${formatId(id)} is not started`);
  const task = getTask(sup.state, id);
  if (task?.state !== 'running') throw new LaunchAbandoned(`${formatId(id)} is no longer running; its agent is not started`);
  if (task.sessions.length !== session)
    throw new LaunchAbandoned(`${formatId(id)} was started again (session ${task.sessions.length}); session ${session}'s agent is not started`);
}

/** What launching a task works with. */
export interface LaunchServices {
  cell: StateCell;
  runtime: AgentRuntime;
  sessions: AgentSessions;
  context: ContextService;
}

/**
 * Brings a dispatched task to a running agent: worktree (new, or reused on retry), copied
 * files, setup commands shown in the task's terminal, PROMPT.md, then the agent itself.
 * The intent (state `running`, branch, worktree path, ports) is already durable.
 */
export async function launchTask(l: LaunchServices, id: TaskId): Promise<void> {
  const sup = l.cell;
  const paths = sup.ctx.paths;
  const mainRoot = paths.repo.mainRoot;
  const term = l.runtime.terminal(id);
  let task = mustGet(sup, id);
  const session = task.sessions.length;
  term.note(`session ${session}: ${task.agent}${task.sessions.length > 1 ? ' (restart)' : ''}`);

  // An agent that cannot run fails before any worktree is made for it.
  const preset = agentPresets(sup.config)[task.agent];
  if (!preset) throw new LaunchError(`agent preset "${task.agent}" is not configured; assign another agent with "muster task assign ${id} --agent NAME".`);
  const prompt = readPrompt(paths.stateDir, task);
  if (!prompt.ok) throw new LaunchError(prompt.error.message);
  const lookupEnv = { ...baseEnv(sup), ...preset.env };
  const worktree = task.worktree ?? worktreePath(sup.config, mainRoot, id);
  if (!which(preset.command, lookupEnv, pathExists(worktree) ? worktree : mainRoot)) {
    throw new LaunchError(`agent command "${preset.command}" (preset "${task.agent}") is not on PATH; install it or change the preset in .muster/config.yaml.`);
  }
  await pauseAt(sup, 'dispatch:worktree');
  const fresh = !(await isRegisteredWorktree(mainRoot, worktree));
  if (fresh) {
    if (pathExists(worktree)) throw new LaunchError(`${worktree} exists but is not a git worktree; move it away, then retry ${formatId(id)}.`);
    const base = await targetTip(sup);
    ensureDir(dirname(worktree));
    const branch = task.branch ?? `muster/${id}`;
    // Recorded before the worktree exists: a crash right after adding it must not find an older worktree's setup marked complete.
    await sup.patchTask(id, { setup: { done: [], complete: false } });
    const { newBranch } = await addWorktree(mainRoot, worktree, branch, base, `muster task #${id}`, sup.ctx.paths.repo.commonDir);
    await sup.patchTask(id, { worktree, base: newBranch ? base : (task.base ?? base), reason: 'setting up' });
  }
  mustStillLaunch(sup, id, session);
  await runSetup(l, id, worktree, session);
  await l.sessions.worktreeReady(id, worktree);

  task = mustGet(sup, id);
  const taskDir = join(paths.tasksDir, String(id));
  ensureDir(taskDir);
  const promptFile = join(taskDir, 'PROMPT.md');
  const handoff = task.handoffFrom ? await buildHandoff(l, task, task.handoffFrom, worktree) : null;
  task = mustGet(sup, id);
  const wiring = wireAgent(sup, task, prompt.value, preset, promptFile, handoff);
  writeText(promptFile, wiring.document);
  writeWiringFiles(wiring.plan);
  const env = {
    ...baseEnv(sup),
    ...agentEnv({ taskId: id, mainRoot, contextFile: sup.contextFile, promptFile, ports: task.ports, presetEnv: preset.env }),
    ...wiring.plan?.env,
  };
  const resolved = which(preset.command, env, worktree);
  if (!resolved)
    throw new LaunchError(`agent command "${preset.command}" (preset "${task.agent}") is not on PATH; install it or change the preset in .muster/config.yaml.`);
  const argv = agentArgv({ ...preset, command: resolved }, wiring.prompt, promptFile, { prefix: wiring.plan?.args ?? [] });
  const tooBig = execTooBig(argv, env);
  if (tooBig)
    throw new LaunchError(
      `could not start "${preset.command}" (preset "${task.agent}"): ${tooBig}; shorten the preset's args or env in .muster/config.yaml, then retry ${formatId(id)}.`,
    );
  if (wiring.session) term.note(`${wiring.session.mode === 'resume' ? 'resuming' : 'new'} ${task.agent} conversation ${wiring.session.id}`);
  // A PTY child that cannot exec prints why into its own terminal and exits 1: keep the
  // first output of the session to say so instead of "exited with code 1".
  let early = '';
  const unsubscribe = term.subscribe((d) => {
    early += d;
    if (early.length > 8192) unsubscribe();
  });
  const before = conversationOf(task, task.agent);
  let pid: number;
  try {
    await pauseAt(sup, 'dispatch:spawn');
    mustStillLaunch(sup, id, session);
    pid = await l.runtime.spawn(id, session, argv, worktree, env, (exit, stoppedByUs) => {
      void (async () => {
        unsubscribe();
        await term.screen.settle();
        const failed = exit.exitCode === 1 ? execFailure(early) : null;
        const untold = failed ? unstartedConversations(mustGet(sup, id).conversations, wiring.conversation, before) : null;
        if (untold) await sup.patchTask(id, { conversations: untold });
        await l.sessions.exited(id, session, exit, stoppedByUs, failed ? `could not start "${resolved}": ${failed}` : null);
      })();
    });
  } catch (e) {
    // Never started: its terminal's raw output need not cross from the worker for it any more.
    unsubscribe();
    throw e;
  }
  // Told only once it runs (before any other await: an exit that comes first must find it recorded).
  const told = startedConversations(mustGet(sup, id).conversations, wiring.conversation);
  if (told) await sup.patchTask(id, { conversations: told });
  await l.sessions.started(id, session, pid, processStartTime(pid), task.handoffFrom !== null);
}

/**
 * Copies the configured files and runs the setup commands the worktree has not completed,
 * each in the task's terminal. Each success is recorded before the next command starts, and
 * `complete` only after the last: a failed or interrupted setup runs again on retry from the
 * first command that did not succeed.
 */
async function runSetup(l: LaunchServices, id: TaskId, worktree: string, session: number): Promise<void> {
  const sup = l.cell;
  const progress = mustGet(sup, id).setup;
  if (progress.complete) return;
  const commands = sup.config.worktrees.setup;
  copyConfiguredFiles(sup.config.worktrees.copy, sup.ctx.paths.repo.mainRoot, worktree);
  const term = l.runtime.terminal(id);
  let done = commands.findIndex((cmd, i) => progress.done[i] !== cmd);
  if (done < 0) done = commands.length;
  if (done > 0) term.note(`setup: ${done} of ${commands.length} command${commands.length === 1 ? '' : 's'} already done here`);
  for (let i = done; i < commands.length; i++) {
    const cmd = commands[i]!;
    await sup.patchTask(id, { reason: `setup: ${cmd}` });
    await pauseAt(sup, `setup:${i + 1}`);
    // Checked last before it runs: a command started after the supervisor stopped the task's runs would hold its stop.
    mustStillLaunch(sup, id, session);
    term.note(`setup: ${cmd}`);
    const run = await term.run(['/bin/sh', '-c', cmd], { cwd: worktree, env: baseEnv(sup) });
    const exit = await run.exited;
    if (exit.exitCode !== 0)
      throw new LaunchError(
        `setup command "${cmd}" exited with code ${exit.exitCode} in ${worktree}; fix it in .muster/config.yaml or the worktree, then retry ${formatId(id)}: setup goes on from that command.`,
      );
    await pauseAt(sup, `setup:${i + 1}-done`);
    await sup.patchTask(id, { setup: { done: commands.slice(0, i + 1), complete: false } });
  }
  await sup.patchTask(id, { setup: { done: [...commands], complete: true } });
}

/** The task, which a launch needs to go on: one deleted meanwhile fails it. */
export function mustGet(sup: Pick<StateCell, 'state'>, id: TaskId): Task {
  const t = getTask(sup.state, id);
  if (!t) throw new LaunchError(`task ${formatId(id)} disappeared while starting`);
  return t;
}

async function isRegisteredWorktree(mainRoot: string, path: string): Promise<boolean> {
  if (!pathExists(path)) return false;
  return (await listWorktrees(mainRoot)).some((w) => w.path === path);
}

async function targetTip(sup: StateCell): Promise<string> {
  // A new branch starts from the tip as it is now, not as the status cache last saw it.
  sup.forgetTip();
  const tip = await sup.targetTip();
  if (!tip) throw new LaunchError(`the target branch "${sup.ctx.target}" has no commit yet; commit something to it (or set merge.target), then retry.`);
  return tip;
}

function copyConfiguredFiles(files: readonly string[], from: string, to: string): void {
  for (const f of files) {
    copyIfAbsent(join(from, f), join(to, f));
  }
}

/** The supervisor's environment for child processes, with `muster` on PATH and no stale task id. */
function baseEnv(sup: StateCell): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MUSTER_')) env[k] = v;
  env.PATH = `${sup.shimDir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  env.TERM = 'xterm-256color';
  env.COLORTERM = env.COLORTERM ?? 'truecolor';
  delete env.MUSTER_SPAWNED;
  return env;
}

async function buildHandoff(l: LaunchServices, task: Task, from: string, worktree: string): Promise<string> {
  const base = task.base ?? 'HEAD';
  const { commits, diffStat } = await workSince(worktree, base);
  return handoffNote({ taskId: task.id, fromAgent: from, toAgent: task.agent, diffStat, commits, contextEntries: l.context.entriesOf(task.id) });
}
