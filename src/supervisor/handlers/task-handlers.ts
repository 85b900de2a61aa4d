import { addTask, getTask, moveTask, transition, updateTask, validateTaskInput } from '../../core/task-queue.js';
import { formatId, type Risk, type TaskId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { TaskView } from '../../protocol/shapes.js';
import type { Supervisor } from '../supervisor.js';
import { queuePositions, taskView, taskViews } from '../views.js';
import { unwrap } from './refusal.js';

export function viewOf(sup: Supervisor, id: TaskId): TaskView {
  const task = getTask(sup.state, id);
  if (!task) throw new MusterError('not-found', `No task ${formatId(id)}. "muster task list" shows the tasks there are.`);
  return taskView(task, queuePositions(sup.state).get(id) ?? null);
}

export async function taskAdd(sup: Supervisor, p: ParsedParamsOf<'task.add'>, caller?: Caller): Promise<ResultOf<'task.add'>> {
  const input = unwrap(
    validateTaskInput(
      sup.state,
      {
        title: p.title,
        prompt: p.prompt,
        agent: p.agent ?? sup.config.default_agent,
        writes: p.writes,
        reads: p.reads,
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
  const next = unwrap(transition(sup.state, p.id, 'cancelled', sup.now(), 'cancelled by the operator'));
  await sup.apply(next, [{ actor: sup.actorOf(caller), kind: 'task-cancelled', details: { task: p.id, from: task.state } }]);
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
  const next = updateTask(sup.state, p.id, { agent: p.agent }, sup.now());
  await sup.apply(next, [{ actor: sup.actorOf(caller), kind: 'task-assigned', details: { task: p.id, from: task.agent, to: p.agent } }]);
  return viewOf(sup, p.id);
}
