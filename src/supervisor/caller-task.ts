import type { MusterState } from '../core/state.js';
import { formatId, type TaskId } from '../core/task.js';
import { MusterError } from '../protocol/errors.js';
import type { Caller } from '../protocol/methods.js';
import type { Vouched } from '../adapters/socket/socket-server.js';

/** Where a request comes from, judged by the process that opened the connection. */
export type Origin = { kind: 'operator' } | { kind: 'agent'; task: TaskId | null; pid: number; comm: string; how: string } | { kind: 'unknown'; why: string };

/**
 * A request's caller as the supervisor holds it: what the client said (its directory and
 * environment, the caller's to choose) and where the connection really comes from, judged
 * from the peer's ancestry on first use. `origin` is a function, which JSON cannot carry: a
 * client cannot send one.
 */
export interface BoundCaller extends Caller {
  readonly origin: () => Origin;
}

function isBound(caller: Caller): caller is BoundCaller {
  return typeof (caller as Partial<BoundCaller>).origin === 'function';
}

/**
 * The origin of a connection a host's worker forwards: the agent of the task it names, as long
 * as that task is placed on that host. A worker speaks only for its own host's tasks.
 */
export function vouchedOrigin(state: MusterState, v: Vouched): Origin {
  const task = state.tasks.find((t) => t.id === v.task);
  if (task?.host !== v.host) {
    return {
      kind: 'unknown',
      why: `host ${v.host}'s worker says task ${formatId(v.task)}'s agent sent it (pid ${v.pid} there), and that task ${task ? (task.host ? `runs on ${task.host}` : 'runs on this machine') : 'does not exist'}`,
    };
  }
  return { kind: 'agent', task: task.id, pid: v.pid, comm: v.comm, how: `on host ${v.host}, ${v.how}` };
}

/** Judges the origin once, when something first asks. */
export function lazyOrigin(judge: () => Origin): () => Origin {
  let origin: Origin | null = null;
  return () => (origin ??= judge());
}

/**
 * Binds what the client said to where it comes from. A request without a caller from an
 * agent still acts for that agent's task: it gets the task's worktree as its caller.
 */
export function bindCaller(state: MusterState, caller: Caller | undefined, origin: () => Origin): BoundCaller | undefined {
  if (caller) return { ...caller, origin };
  const o = origin();
  if (o.kind !== 'agent' || o.task === null) return undefined;
  const worktree = state.tasks.find((t) => t.id === o.task)?.worktree ?? null;
  return { cwd: worktree ?? '/', worktreeRoot: worktree, envTaskId: null, pid: o.pid, ppid: 0, origin };
}

/** The task the client says it acts for: MUSTER_TASK_ID, else the worktree it runs in. */
function claimed(state: MusterState, caller: Caller): { task: TaskId; by: string } | null {
  if (caller.envTaskId && state.tasks.some((t) => t.id === caller.envTaskId)) return { task: caller.envTaskId, by: `MUSTER_TASK_ID=${caller.envTaskId}` };
  if (caller.worktreeRoot) {
    const t = state.tasks.find((x) => x.worktree === caller.worktreeRoot);
    if (t) return { task: t.id, by: `it runs in task ${formatId(t.id)}'s worktree ${t.worktree}` };
  }
  return null;
}

/** What a refusal of a claimed task says and audits. */
export interface ClaimRefusal {
  message: string;
  details: Record<string, unknown>;
  actor: string;
}

/**
 * The task a command acts for. The operator acts for the task whose worktree it runs in or
 * that MUSTER_TASK_ID names; an agent only ever for its own task, whatever its environment or
 * directory say. A claim of another task from an agent, a gate, or a process that cannot be
 * checked is refused: it is an agent speaking for a task that is not its own.
 */
export function taskOfCaller(state: MusterState, caller: Caller | undefined): { ok: true; task: TaskId | null } | { ok: false; refusal: ClaimRefusal } {
  if (!caller) return { ok: true, task: null };
  const claim = claimed(state, caller);
  if (!isBound(caller)) return { ok: true, task: claim?.task ?? null };
  const origin = caller.origin();
  if (origin.kind === 'operator') return { ok: true, task: claim?.task ?? null };
  if (origin.kind === 'agent' && origin.task !== null && (claim === null || claim.task === origin.task)) return { ok: true, task: origin.task };
  if (claim === null) return { ok: true, task: null };
  const details = {
    claimed: claim.task,
    by: claim.by,
    ...(origin.kind === 'agent' ? { task: origin.task, pid: origin.pid, comm: origin.comm, how: origin.how } : { why: origin.why }),
  };
  if (origin.kind === 'unknown') {
    return {
      ok: false,
      refusal: {
        actor: 'unknown',
        details,
        message: `This request says it acts for task ${formatId(claim.task)} (${claim.by}), and who sent it cannot be checked: ${origin.why}. Run it from a process that waits for the reply.`,
      },
    };
  }
  const who = origin.task !== null ? `task ${formatId(origin.task)}'s agent` : 'an agent or a gate';
  const next = origin.task !== null ? 'Run it without MUSTER_TASK_ID, or from your own worktree' : 'Only the operator speaks for a task from outside its agent';
  return {
    ok: false,
    refusal: {
      actor: origin.task !== null ? `task ${formatId(origin.task)}` : 'agent',
      details,
      message: `This request came from ${who} (pid ${origin.pid}, ${origin.comm}): ${origin.how}; it cannot act for task ${formatId(claim.task)} (${claim.by}). An agent acts only for its own task. ${next}.`,
    },
  };
}

/** The task an audit event names as the actor, without refusing anything: the origin's first. */
export function actorTask(state: MusterState, caller: Caller | undefined): TaskId | null {
  if (!caller) return null;
  if (isBound(caller)) {
    const origin = caller.origin();
    if (origin.kind === 'agent' && origin.task !== null) return origin.task;
  }
  return claimed(state, caller)?.task ?? null;
}

/** The MusterError a refused claim becomes. */
export function refusedClaim(refusal: ClaimRefusal): MusterError {
  return new MusterError('bad-input', refusal.message);
}
