import { normalizeResource } from '../../core/glob.js';
import { getTask } from '../../core/task-queue.js';
import { readPrompt } from '../../adapters/store/prompt-files.js';
import { formatId, type Risk, type TaskId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { TaskView } from '../../protocol/shapes.js';
import type { Services } from '../services.js';
import { queuePositions, taskView, taskViews } from '../views.js';
import { summaryFrom } from './agent-handlers.js';
import { runCommand } from './run-command.js';

/** Declared locks are repository-relative, like paths in a spec file. */
function normalizePatterns(raws: readonly string[], flag: string): string[] {
  return raws.map((raw) => {
    const r = normalizeResource(raw);
    if (!r.ok) throw new MusterError('bad-input', `${flag} ${JSON.stringify(raw)}: ${r.error.message}`);
    return r.value;
  });
}

export function viewOf(sup: Services, id: TaskId): TaskView {
  const task = getTask(sup.cell.state, id);
  if (!task) throw new MusterError('not-found', `No task ${formatId(id)}. "muster task list" shows the tasks there are.`);
  return taskView(task, queuePositions(sup.cell.state).get(id) ?? null);
}

export async function taskAdd(sup: Services, p: ParsedParamsOf<'task.add'>, caller?: Caller): Promise<ResultOf<'task.add'>> {
  const hosts = Object.keys(sup.cell.config.hosts);
  if (p.host !== undefined && !hosts.includes(p.host))
    throw new MusterError(
      'bad-input',
      hosts.length
        ? `No host "${p.host}" under hosts: in .muster/config.yaml; the configured hosts are ${hosts.join(', ')}.`
        : `No host "${p.host}": .muster/config.yaml names no hosts (add one under hosts: with its ssh destination), or leave --on-host out to run here.`,
    );
  const input = {
    title: p.title,
    prompt: p.prompt,
    agent: p.agent ?? sup.cell.config.default_agent,
    writes: normalizePatterns(p.writes, '--writes'),
    reads: normalizePatterns(p.reads, '--reads'),
    after: p.after,
    risk: p.risk as Risk | undefined,
    integration: p.integration,
    host: p.host ?? null,
  };
  const d = await runCommand(sup, { kind: 'add', input, agents: sup.cell.agentNames, actor: sup.cell.actorOf(caller) });
  const saved = d.prepare.find((e) => e.kind === 'save-prompt');
  return { ...viewOf(sup, d.task), prompt: saved?.text };
}

export function taskList(sup: Services): ResultOf<'task.list'> {
  return taskViews(sup.cell.state);
}

/** The one view with the prompt's text: lists and events carry only its size and first line. */
export function taskShow(sup: Services, p: ParsedParamsOf<'task.show'>): ResultOf<'task.show'> {
  const view = viewOf(sup, p.id);
  const task = getTask(sup.cell.state, p.id);
  const prompt = task ? readPrompt(sup.cell.ctx.paths.stateDir, task) : null;
  // The task is shown whatever became of its prompt file, with what became of it.
  if (prompt && !prompt.ok) return { ...view, promptError: prompt.error.message };
  return { ...view, prompt: prompt?.value };
}

export async function taskCancel(sup: Services, p: ParsedParamsOf<'task.cancel'>, caller?: Caller): Promise<ResultOf<'task.cancel'>> {
  await runCommand(sup, { kind: 'cancel', id: p.id, actor: sup.cell.actorOf(caller) });
  return viewOf(sup, p.id);
}

export async function taskMove(sup: Services, p: ParsedParamsOf<'task.move'>, caller?: Caller): Promise<ResultOf<'task.move'>> {
  await runCommand(sup, { kind: 'move', id: p.id, move: p.move, actor: sup.cell.actorOf(caller) });
  return taskViews(sup.cell.state);
}

export async function taskAssign(sup: Services, p: ParsedParamsOf<'task.assign'>, caller?: Caller): Promise<ResultOf<'task.assign'>> {
  await runCommand(sup, { kind: 'assign', id: p.id, agent: p.agent, agents: sup.cell.agentNames, actor: sup.cell.actorOf(caller) });
  return viewOf(sup, p.id);
}

/** The task a lifecycle command names, or the one whose worktree it runs in. */
function callerTask(sup: Services, id: number | undefined, caller: Caller | undefined, verb: string): number {
  const found = id ?? sup.cell.taskOfCaller(caller);
  if (!found) throw new MusterError('bad-input', `Which task? Give its id ("muster ${verb} 3"), or run this inside the task's worktree.`);
  return found;
}

export async function taskDone(sup: Services, p: ParsedParamsOf<'task.done'>, caller?: Caller): Promise<ResultOf<'task.done'>> {
  const id = callerTask(sup, p.id, caller, 'task done');
  await runCommand(sup, { kind: 'done', id, actor: sup.cell.actorOf(caller), summary: summaryFrom(p.summary) });
  return viewOf(sup, id);
}

export async function taskRetry(sup: Services, p: ParsedParamsOf<'task.retry'>, caller?: Caller): Promise<ResultOf<'task.retry'>> {
  await runCommand(sup, { kind: 'retry', id: p.id, fresh: p.fresh, actor: sup.cell.actorOf(caller) });
  return viewOf(sup, p.id);
}

export async function agentStatus(sup: Services, p: ParsedParamsOf<'agent.status'>, caller?: Caller): Promise<ResultOf<'agent.status'>> {
  const id = callerTask(sup, p.task, caller, 'agent status waiting-input --task');
  const task = getTask(sup.cell.state, id);
  if (!task) return viewOf(sup, id);
  sup.runtime.report(id, p.status);
  if (p.status === 'working') {
    // A live conversation that takes a new prompt has been told the feedback typed into it (merge reject).
    const conversations = task.conversations.map((c) =>
      c.agent === task.agent && c.feedbackSeen < task.feedback.length && sup.runtime.isRunning(id) ? { ...c, feedbackSeen: task.feedback.length } : c,
    );
    const seen = conversations.some((c, i) => c !== task.conversations[i]);
    if (task.idleWithWork || seen) await sup.cell.patchTask(id, { idleWithWork: false, ...(seen ? { conversations } : {}) });
  }
  if (p.note?.trim()) {
    const note = p.note.trim().replace(/\s+/g, ' ').slice(0, 500);
    sup.cell.audit([{ actor: sup.cell.actorOf(caller), kind: 'agent-status-reported', details: { task: id, status: p.status, note } }]);
    if (p.status === 'waiting-input')
      sup.cell.notify({ kind: 'waiting-input', task: id, message: `${formatId(id)} ${task.title} is waiting for input: ${note}` });
  }
  await sup.cell.ctx.store.flush();
  return viewOf(sup, id);
}
