import { existsSync } from 'node:fs';
import { normalizeResource } from '../../core/glob.js';
import { addTask, getTask, moveTask, settleDependencies, transition, updateTask, validateTaskInput } from '../../core/task-queue.js';
import { archiveTaskWork } from '../../adapters/git/snapshot.js';
import { formatId, type Risk, type TaskId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { TaskView } from '../../protocol/shapes.js';
import type { Supervisor } from '../supervisor.js';
import { queuePositions, taskView, taskViews } from '../views.js';
import { unwrap } from './refusal.js';

/** Declared locks are repository-relative, like paths in a spec file. */
function normalizePatterns(raws: readonly string[], flag: string): string[] {
  return raws.map((raw) => {
    const r = normalizeResource(raw);
    if (!r.ok) throw new MusterError('bad-input', `${flag} ${JSON.stringify(raw)}: ${r.error.message}`);
    return r.value;
  });
}

export function viewOf(sup: Supervisor, id: TaskId): TaskView {
  const task = getTask(sup.state, id);
  if (!task) throw new MusterError('not-found', `No task ${formatId(id)}. "muster task list" shows the tasks there are.`);
  return taskView(task, queuePositions(sup.state).get(id) ?? null);
}

export async function taskAdd(sup: Supervisor, p: ParsedParamsOf<'task.add'>, caller?: Caller): Promise<ResultOf<'task.add'>> {
  const writes = normalizePatterns(p.writes, '--writes');
  const reads = normalizePatterns(p.reads, '--reads');
  const input = unwrap(
    validateTaskInput(
      sup.state,
      {
        title: p.title,
        prompt: p.prompt,
        agent: p.agent ?? sup.config.default_agent,
        writes,
        reads,
        after: p.after,
        risk: p.risk as Risk | undefined,
      },
      sup.agentNames,
    ),
  );
  const { state, task } = addTask(sup.state, input, sup.now());
  await sup.apply(state, [{ actor: sup.actorOf(caller), kind: 'task-added', details: { task: task.id, title: task.title, agent: task.agent, risk: task.risk, after: task.after } }]);
  return viewOf(sup, task.id);
}

export function taskList(sup: Supervisor): ResultOf<'task.list'> {
  return taskViews(sup.state);
}

export function taskShow(sup: Supervisor, p: ParsedParamsOf<'task.show'>): ResultOf<'task.show'> {
  return viewOf(sup, p.id);
}

export async function taskCancel(sup: Supervisor, p: ParsedParamsOf<'task.cancel'>, caller?: Caller): Promise<ResultOf<'task.cancel'>> {
  const task = getTask(sup.state, p.id);
  if (!task) return viewOf(sup, p.id);
  if (task.state === 'cancelled') throw new MusterError('invalid-state', `Task ${formatId(p.id)} is already cancelled.`);
  if (task.state === 'merged' || task.state === 'merging') throw new MusterError('invalid-state', `Task ${formatId(p.id)} is ${task.state}; a landed task cannot be cancelled ("muster merge undo" takes a merge back).`);
  await sup.runtime.stop(p.id);
  const archive = await archiveTaskWork(sup.ctx.paths.repo.mainRoot, p.id, { worktree: task.worktree && existsSync(task.worktree) ? task.worktree : null, branch: task.branch }, 'cancelled');
  const next = unwrap(transition(sup.state, p.id, 'cancelled', sup.now(), `cancelled by ${sup.actorOf(caller)}${archive ? `; work kept at ${archive.ref}` : ''}`));
  await sup.apply(updateTask(next, p.id, { ports: null }, sup.now()), [
    { actor: sup.actorOf(caller), kind: 'task-cancelled', details: { task: p.id, from: task.state, archive: archive?.ref ?? null, commit: archive?.commit ?? null } },
  ]);
  await sup.afterTaskEnded(p.id);
  return viewOf(sup, p.id);
}

export async function taskMove(sup: Supervisor, p: ParsedParamsOf<'task.move'>, caller?: Caller): Promise<ResultOf<'task.move'>> {
  const next = unwrap(moveTask(sup.state, p.id, p.move));
  await sup.apply(next, [{ actor: sup.actorOf(caller), kind: 'task-moved', details: { task: p.id, move: p.move } }]);
  return taskViews(sup.state);
}

export async function taskAssign(sup: Supervisor, p: ParsedParamsOf<'task.assign'>, caller?: Caller): Promise<ResultOf<'task.assign'>> {
  const task = getTask(sup.state, p.id);
  if (!task) return viewOf(sup, p.id);
  if (!sup.agentNames.includes(p.agent)) {
    throw new MusterError('bad-input', `Unknown agent "${p.agent}". Configured agents: ${sup.agentNames.join(', ')} (add more under "agents:" in .muster/config.yaml).`);
  }
  if (['merged', 'merging', 'cancelled'].includes(task.state)) {
    throw new MusterError('invalid-state', `Task ${formatId(p.id)} is ${task.state}; only a task that has not landed can be given another agent.`);
  }
  const handoffFrom = task.sessions.length ? task.agent : null;
  const events = [{ actor: sup.actorOf(caller), kind: 'task-assigned', details: { task: p.id, from: task.agent, to: p.agent } }];
  if (task.state === 'running') {
    // The current session stops; the task goes back to ready and dispatch restarts it at once.
    await sup.runtime.stop(p.id);
    const back = unwrap(transition(sup.state, p.id, 'ready', sup.now(), `reassigned to ${p.agent}`));
    await sup.apply(updateTask(back, p.id, { agent: p.agent, handoffFrom }, sup.now()), events);
  } else {
    await sup.apply(updateTask(sup.state, p.id, { agent: p.agent, handoffFrom }, sup.now()), events);
  }
  return viewOf(sup, p.id);
}

/** The task a lifecycle command names, or the one whose worktree it runs in. */
function callerTask(sup: Supervisor, id: number | undefined, caller: Caller | undefined, verb: string): number {
  const found = id ?? sup.taskOfCaller(caller);
  if (!found) throw new MusterError('bad-input', `Which task? Give its id ("muster ${verb} 3"), or run this inside the task's worktree.`);
  return found;
}

export async function taskDone(sup: Supervisor, p: ParsedParamsOf<'task.done'>, caller?: Caller): Promise<ResultOf<'task.done'>> {
  const id = callerTask(sup, p.id, caller, 'task done');
  const task = getTask(sup.state, id);
  if (!task) return viewOf(sup, id);
  if (task.state === 'review') return viewOf(sup, id);
  if (!['running', 'stalled', 'failed'].includes(task.state)) {
    throw new MusterError('invalid-state', `Task ${formatId(id)} is ${task.state}; only a running, stalled or failed task can be marked done.`);
  }
  const next = unwrap(transition(sup.state, id, 'review', sup.now(), `marked done by ${sup.actorOf(caller)}`));
  await sup.apply(next, [{ actor: sup.actorOf(caller), kind: 'task-done', details: { task: id, from: task.state } }]);
  return viewOf(sup, id);
}

export async function taskRetry(sup: Supervisor, p: ParsedParamsOf<'task.retry'>, caller?: Caller): Promise<ResultOf<'task.retry'>> {
  const task = getTask(sup.state, p.id);
  if (!task) return viewOf(sup, p.id);
  if (!['failed', 'stalled', 'cancelled'].includes(task.state)) {
    throw new MusterError('invalid-state', `Task ${formatId(p.id)} is ${task.state}; only a failed, stalled or cancelled task can be retried.`);
  }
  await sup.runtime.stop(p.id);
  const next = unwrap(transition(sup.state, p.id, 'ready', sup.now(), 'retry'));
  await sup.apply(settleDependencies(next), [{ actor: sup.actorOf(caller), kind: 'task-retried', details: { task: p.id, from: task.state } }]);
  return viewOf(sup, p.id);
}

export async function agentStatus(sup: Supervisor, p: ParsedParamsOf<'agent.status'>, caller?: Caller): Promise<ResultOf<'agent.status'>> {
  const id = callerTask(sup, p.task, caller, 'agent status waiting-input --task');
  if (!getTask(sup.state, id)) return viewOf(sup, id);
  sup.runtime.report(id, p.status);
  await sup.ctx.store.flush();
  return viewOf(sup, id);
}
