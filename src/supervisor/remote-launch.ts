import { basename, posix } from 'node:path';
import { agentArgv, agentEnv, execFailure } from '../core/agent-launch.js';
import { formatId, type TaskId } from '../core/task.js';
import { git, resolveCommit } from '../adapters/git/git.js';
import { pushBranch } from '../adapters/git/remote-git.js';
import { readPrompt } from '../adapters/store/prompt-files.js';
import { agentPresets } from '../config/schema.js';
import { wireAgent } from './agent-wiring.js';
import { LaunchError, mustGet, mustStillLaunch, type LaunchServices } from './launch.js';
import { pauseAt } from '../adapters/proc/test-pause.js';

/**
 * Brings a task dispatched to another host to a running agent there: the task's branch made
 * here (from the target's tip) and pushed to the host's repository with git over ssh, the
 * worktree checked out there with the prompt beside it, then the agent in a PTY of the host's
 * worker. Its `muster` calls (its CLI's hooks and MCP server, the commit guard) run the host's
 * muster, which reaches this supervisor through that worker (adapters/worker/host-calls.ts).
 */
export async function launchRemoteTask(l: LaunchServices, id: TaskId): Promise<void> {
  const sup = l.cell;
  const mainRoot = sup.ctx.paths.repo.mainRoot;
  let task = mustGet(sup, id);
  const hostName = task.host!;
  const host = sup.config.hosts[hostName];
  if (!host) throw new LaunchError(`host "${hostName}" is not under hosts: in .muster/config.yaml; add it back, or cancel ${formatId(id)} and add it again.`);
  const remotes = l.runtime.remotes;
  const worker = remotes.worker(hostName);
  let client;
  try {
    client = await worker.connected();
  } catch (e) {
    throw new LaunchError(
      `could not reach host ${hostName} (${host.ssh}): ${(e as Error).message}; check that "ssh ${host.ssh} muster --version" works, then retry ${formatId(id)}.`,
    );
  }
  // Without it the agent's hooks, locks and commit guard there would answer nobody: it does not start.
  const unserved = await remotes.notServing(hostName, client);
  if (unserved) throw new LaunchError(`${unserved}; see the worker's log on the host (${host.dir}/.muster/worker.log), then retry ${formatId(id)}.`);
  const term = l.runtime.terminal(id);
  const session = task.sessions.length;
  term.note(`session ${session}: ${task.agent} on ${hostName}${task.sessions.length > 1 ? ' (restart)' : ''}`);
  const preset = agentPresets(sup.config)[task.agent];
  if (!preset) throw new LaunchError(`agent preset "${task.agent}" is not configured; assign another agent with "muster task assign ${id} --agent NAME".`);
  const prompt = readPrompt(sup.ctx.paths.stateDir, task);
  if (!prompt.ok) throw new LaunchError(prompt.error.message);

  await pauseAt(sup, 'dispatch:worktree');
  const branch = task.branch ?? `muster/${id}`;
  if (!(await resolveCommit(mainRoot, `refs/heads/${branch}`))) {
    sup.forgetTip();
    const base = await sup.targetTip();
    if (!base) throw new LaunchError(`the target branch "${sup.ctx.target}" has no commit yet; commit something to it (or set merge.target), then retry.`);
    await git(mainRoot, ['branch', '--no-track', branch, base]);
    await sup.patchTask(id, { base, reason: `sending to ${hostName}` });
  }
  const { url, tasksDir, muster } = await remotes.prepare(hostName);
  try {
    await pushBranch(mainRoot, url, branch);
  } catch (e) {
    throw new LaunchError(`could not push ${branch} to ${hostName}: ${(e as Error).message}`);
  }
  mustStillLaunch(sup, id, session);
  task = mustGet(sup, id);
  // Where the task's files will be there, and the host's own muster, which the agent's hooks and MCP server run: the
  // prepare above said, so the one checkout writes them with the worktree (a host's path is a POSIX one).
  const taskDir = posix.join(tasksDir, String(id));
  const promptFile = `${taskDir}/PROMPT.md`;
  const contextFile = `${taskDir}/shared-context.md`;
  // Its calls reach this supervisor through the host's worker; a conversation there is not resumed from here (its transcript is there).
  const wiring = wireAgent(sup, task, prompt.value, { ...preset, resume: false }, promptFile, null, { muster, contextFile });
  const files: Record<string, string> = { 'PROMPT.md': wiring.document, 'shared-context.md': l.context.read() };
  for (const f of wiring.plan?.files ?? []) files[basename(f.path)] = f.content;
  const { worktree } = await worker.call('checkout', { repo: remotes.repoKey, task: id, branch, files });
  await sup.patchTask(id, { reason: null, setup: { done: [], complete: true } });
  const env = {
    TERM: 'xterm-256color',
    ...agentEnv({ taskId: id, mainRoot: worktree, contextFile, promptFile, ports: task.ports, presetEnv: preset.env }),
    ...wiring.plan?.env,
    MUSTER_HOST: hostName,
  };
  const argv = agentArgv(preset, wiring.prompt, promptFile, { prefix: wiring.plan?.args ?? [] });
  let early = '';
  const unsubscribe = term.subscribe((d) => {
    early += d;
    if (early.length > 8192) unsubscribe();
  });
  await pauseAt(sup, 'dispatch:spawn');
  mustStillLaunch(sup, id, session);
  const pid = await l.runtime.spawn(id, session, argv, worktree, env, (exit, stoppedByUs) => {
    void (async () => {
      unsubscribe();
      remotes.attached.delete(id);
      // The last of its work comes here before the task moves on (to review, where it is merged from here).
      await worker
        .call('snapshot', { repo: remotes.repoKey, task: id })
        .then(() => remotes.fetch(id))
        .catch((e: unknown) => sup.faults.report(`the last work of ${formatId(id)} on ${hostName} was not fetched: ${(e as Error).message}`));
      await term.screen.settle();
      const failed = exit.exitCode === 1 ? execFailure(early) : null;
      await l.sessions.exited(id, session, exit, stoppedByUs, failed ? `could not start "${preset.command}" on ${hostName}: ${failed}` : null);
    })();
  });
  remotes.attached.add(id);
  await l.sessions.started(id, session, pid, null, task.handoffFrom !== null);
}
