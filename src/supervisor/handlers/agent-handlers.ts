import { isAbsolute, resolve } from 'node:path';
import { decidePreEdit } from '../../core/pre-edit.js';
import { getTask, transition, updateTask } from '../../core/task-queue.js';
import { integrationOf, sessionIdProblem, transcriptProblem, type AgentIntegration } from '../../core/agent-integration.js';
import { formatId, type Conversation, type Task } from '../../core/task.js';
import { pathExists } from '../../adapters/fs/files.js';
import { reachedPath } from '../../adapters/fs/reached-path.js';
import { countCommits } from '../../adapters/git/history.js';
import { agentPresets } from '../../config/schema.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Connection } from '../../adapters/socket/socket-server.js';
import type { Services } from '../services.js';
import { queuePositions, taskView } from '../views.js';

/** The task whose agent a hook runs for; hooks outside any task change nothing. */
function hookTask(sup: Services, caller: Caller | undefined): Task | null {
  const id = sup.cell.taskOfCaller(caller);
  return id ? (getTask(sup.cell.state, id) ?? null) : null;
}

/** An agent is about to write a file: allow, allow after taking its lock, or deny with the reason. */
export async function agentPreEdit(
  sup: Services,
  p: ParsedParamsOf<'agent.pre-edit'>,
  caller?: Caller,
  conn?: Connection,
): Promise<ResultOf<'agent.pre-edit'>> {
  const task = hookTask(sup, caller);
  if (!task) return { task: null, allow: true, reason: null, locked: null };
  // A task on a host edits its worktree there, which that host's worker named: its paths are not this machine's to resolve.
  const far = task.host && conn?.vouched?.task === task.id ? conn.vouched.worktree : null;
  const reached = far ? (x: string) => x : reachedPath;
  const cwd = caller?.cwd ?? far ?? task.worktree ?? sup.cell.ctx.paths.repo.mainRoot;
  const path = reached(isAbsolute(p.path) ? resolve(p.path) : resolve(cwd, p.path));
  // The roots as the file system has them too, so a path and its root are compared alike.
  const worktrees = far ? [] : sup.cell.state.tasks.filter((t) => t.id !== task.id && t.worktree).map((t) => ({ task: t.id, path: reachedPath(t.worktree!) }));
  const own = { ...task, worktree: far ?? (task.worktree ? reachedPath(task.worktree) : null) };
  const now = sup.cell.now();
  const d = decidePreEdit({
    task: own,
    path,
    mainRoot: reachedPath(sup.cell.ctx.paths.repo.mainRoot),
    worktrees,
    locks: sup.cell.state.locks,
    now,
    tools: p.tools,
  });
  const actor = formatId(task.id);
  if (d.kind === 'deny') {
    await sup.cell.apply(sup.cell.state, [{ actor: `task ${actor}`, kind: 'edit-denied', details: { task: task.id, path, reason: d.reason } }]);
    return { task: task.id, allow: false, reason: d.reason, locked: null };
  }
  if (d.kind === 'take-lock') {
    await sup.cell.apply({ ...sup.cell.state, locks: d.table }, [
      {
        actor: `task ${actor}`,
        kind: 'lock-granted',
        details: { owner: { task: task.id }, locks: [{ resource: d.path, mode: 'write' }], why: 'edit outside the declared writes (edit hook)' },
      },
    ]);
    return { task: task.id, allow: true, reason: null, locked: d.path };
  }
  return { task: task.id, allow: true, reason: null, locked: null };
}

/** A conversation started (or resumed, or was cleared into a new one): remember it for the preset. */
export async function agentSession(sup: Services, p: ParsedParamsOf<'agent.session'>, caller?: Caller): Promise<ResultOf<'agent.session'>> {
  const task = hookTask(sup, caller);
  if (!task) return { task: null };
  // A transcript on another host is that host's file: not one this machine can check or resume from.
  const reported = task.host ? null : (p.transcript ?? null);
  const kind = reportedSession(sup, task, p.id, reported);
  // Without an integration muster neither knows where the CLI keeps conversations nor resumes one.
  const transcript = kind ? reported : null;
  await sup.cell.patchTask(task.id, { conversations: recordConversation(task, kind, p.id, transcript, sup.cell.now()) }, [
    { actor: `task ${formatId(task.id)}`, kind: 'agent-session', details: { task: task.id, agent: task.agent, session: p.id } },
  ]);
  return { task: task.id };
}

/**
 * The CLI of a task's agent, once what it reported about its conversation is checked: the id
 * goes on the next launch's command line, so it must be one of that CLI's ids and never an
 * option; a transcript must be one of the CLI's own session files. Refuses, changing nothing.
 */
function reportedSession(sup: Services, task: Task, id: string, transcript: string | null): AgentIntegration | null {
  const preset = agentPresets(sup.cell.config)[task.agent];
  const kind = task.integration && preset ? integrationOf(preset) : null;
  const who = `Task ${formatId(task.id)}'s agent (preset "${task.agent}")`;
  const idProblem = sessionIdProblem(kind, id);
  if (idProblem)
    throw new MusterError(
      'bad-input',
      `${who} reported the session id ${JSON.stringify(id.slice(0, 80))}, which is not one: ${idProblem}. Nothing was recorded.`,
    );
  if (transcript !== null && kind !== null) {
    const problem = transcriptProblem(kind, transcript, { ...process.env, ...preset?.env });
    if (problem)
      throw new MusterError(
        'bad-input',
        `${who} reported the transcript ${JSON.stringify(transcript.slice(0, 200))}, which is not one of its CLI's session files: ${problem}. Nothing was recorded.`,
      );
  }
  return kind;
}

function recordConversation(task: Task, kind: AgentIntegration | null, id: string, transcript: string | null, now: string): Conversation[] {
  const old = task.conversations.find((c) => c.agent === task.agent);
  const same = old !== undefined && old.id === id && old.kind === kind;
  const next: Conversation = same
    ? { ...old, transcript: transcript ?? old.transcript }
    : {
        agent: task.agent,
        kind,
        id,
        transcript,
        startedAt: old?.id === id ? old.startedAt : now,
        feedbackSeen: old?.id === id ? old.feedbackSeen : task.feedback.length,
      };
  return [...task.conversations.filter((c) => c.agent !== task.agent), next];
}

/**
 * The agent finished its turn and waits for the operator. With commits on its branch it is
 * "idle with work": the operator is told, or, with `done_on_idle`, the task goes to review with
 * the agent's last message as its summary.
 */
export async function agentTurnEnded(sup: Services, p: ParsedParamsOf<'agent.turn-ended'>, caller?: Caller): Promise<ResultOf<'agent.turn-ended'>> {
  let task = hookTask(sup, caller);
  if (!task) return { task: null, idleWithWork: false, movedToReview: false };
  const id = task.id;
  if (p.session) {
    const kind = reportedSession(sup, task, p.session, null);
    if (!task.conversations.some((c) => c.agent === task!.agent && c.id === p.session && c.kind === kind)) {
      await sup.cell.patchTask(id, { conversations: recordConversation(task, kind, p.session, null, sup.cell.now()) });
    }
  }
  sup.runtime.report(id, 'idle');
  task = getTask(sup.cell.state, id)!;
  const commits = await commitsOnBranch(task);
  if (task.state !== 'running' || commits === 0) return { task: id, idleWithWork: false, movedToReview: false };
  const preset = agentPresets(sup.cell.config)[task.agent];
  const actor = `task ${formatId(id)}`;
  if (preset?.done_on_idle) {
    const summary = summaryFrom(p.message) ?? `ended its turn with ${commits} commit${commits === 1 ? '' : 's'} on its branch (no summary given)`;
    const moved = transition(sup.cell.state, id, 'review', sup.cell.now(), `done on idle: ${commits} commit${commits === 1 ? '' : 's'} on its branch`);
    if (moved.ok) {
      await sup.cell.apply(updateTask(moved.value, id, { summary, idleWithWork: false }, sup.cell.now()), [
        { actor, kind: 'task-done', details: { task: id, from: 'running', summary, doneOnIdle: true } },
      ]);
      sup.cell.notify({ kind: 'finished', task: id, message: `${formatId(id)} ${task.title}: ended its turn with work; sent to review (done_on_idle)` });
      return { task: id, idleWithWork: false, movedToReview: true };
    }
  }
  if (!task.idleWithWork) {
    await sup.cell.patchTask(id, { idleWithWork: true }, [{ actor, kind: 'agent-idle-with-work', details: { task: id, commits } }]);
    sup.cell.notify({
      kind: 'finished',
      task: id,
      message: `${formatId(id)} ${task.title}: idle with ${commits} commit${commits === 1 ? '' : 's'} on its branch`,
      reason: 'idle-with-work',
    });
  }
  return { task: id, idleWithWork: true, movedToReview: false };
}

/**
 * The operator put away an exited agent's last screen. It is kept with the session in the
 * store, so every cockpit, and the next one after a restart, leaves it out of the agents view;
 * a retry starts a new session, which is shown again.
 */
export async function agentDismiss(sup: Services, p: ParsedParamsOf<'agent.dismiss'>, caller?: Caller): Promise<ResultOf<'agent.dismiss'>> {
  const task = getTask(sup.cell.state, p.id);
  if (!task) throw new MusterError('not-found', `No task ${formatId(p.id)}. "muster task list" shows the tasks there are.`);
  const last = task.sessions.at(-1);
  if (!last) throw new MusterError('invalid-state', `Task ${formatId(p.id)} has not started yet (${task.state}): it has no agent screen to put away.`);
  if (last.endedAt === null)
    throw new MusterError('invalid-state', `Task ${formatId(p.id)}'s agent is still running: only an exited agent's screen can be put away.`);
  if (!last.dismissed) {
    const sessions = task.sessions.map((s) => (s.n === last.n ? { ...s, dismissed: true } : s));
    await sup.cell.patchTask(p.id, { sessions }, [{ actor: sup.cell.actorOf(caller), kind: 'agent-dismissed', details: { task: p.id, session: last.n } }]);
  }
  return taskView(getTask(sup.cell.state, p.id)!, queuePositions(sup.cell.state).get(p.id) ?? null);
}

async function commitsOnBranch(task: Task): Promise<number> {
  if (!task.worktree || !task.base || !pathExists(task.worktree)) return 0;
  return countCommits(task.worktree, task.base, 'HEAD');
}

/** The agent's own words, short enough for the merge view. */
export function summaryFrom(text: string | undefined): string | null {
  const t = text?.trim();
  if (!t) return null;
  return t.length > 2000 ? `${t.slice(0, 1999)}…` : t;
}
