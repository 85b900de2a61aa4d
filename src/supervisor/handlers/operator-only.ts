import { formatId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { MethodName } from '../../protocol/methods.js';
import type { Origin } from '../caller-task.js';
import type { Services } from '../services.js';

interface Rule {
  /** What the request does, for the refusal: "approve a merge". */
  verb: string | ((params: Record<string, unknown>) => string);
  /** Only these requests are the operator's (a lock request that steals). */
  when?: (params: Record<string, unknown>) => boolean;
  /** The task a request acts on: an agent may do this to its own task, never to another (null: to none). */
  target?: (params: Record<string, unknown>) => unknown;
}

/**
 * What only the operator may do (README, "What only the operator may do"): deciding what
 * lands and in which order, stopping, steering or speaking for other tasks, the supervisor
 * itself, and typing into agents. An agent may still mark its own task done, cancel it, take
 * and release its own locks, write in the shared context, and read everything.
 */
export const OPERATOR_ONLY: Partial<Record<MethodName, Rule>> = {
  'merge.approve': { verb: 'approve a merge' },
  'merge.undo': { verb: 'undo a merge' },
  'merge.reject': { verb: 'reject a merge' },
  'merge.skip': { verb: 'reorder the merge queue' },
  'task.move': { verb: 'reorder the task queue' },
  'task.import': { verb: 'import a spec' },
  'dispatch.pause': { verb: 'pause dispatch' },
  'dispatch.resume': { verb: 'resume dispatch' },
  'daemon.stop': { verb: 'stop the supervisor' },
  gc: { verb: 'remove worktrees' },
  'agent.dismiss': { verb: "put away an agent's last screen" },
  'context.ack': { verb: 'acknowledge blockers' },
  'lock.acquire': {
    verb: (p) => (p.steal ? 'steal a lock' : 'take a lock for another task'),
    when: (p) => p.steal === true || p.task !== undefined,
    target: (p) => (p.steal ? null : p.task),
  },
  'lock.release': { verb: "release another task's locks", target: (p) => p.task },
  'context.add': { verb: 'write in the shared context as another task', target: (p) => p.task },
  'agent.status': { verb: "report another agent's status", target: (p) => p.task },
  'task.cancel': { verb: 'cancel another task', target: (p) => p.id },
  'task.retry': { verb: 'retry another task', target: (p) => p.id },
  'task.assign': { verb: 'reassign another task', target: (p) => p.id },
  'task.done': { verb: 'mark another task done', target: (p) => p.id },
  'term.input': { verb: "type into another agent's terminal", target: (p) => p.task },
};

/**
 * Refuses an operator-only request that comes from an agent, a process it started, or a
 * gate — judged by the process that opened the connection (SO_PEERCRED) and its ancestry,
 * never by the environment or directory the client reports.
 */
export function checkOperatorOnly(sup: Services, method: MethodName, params: unknown, originOf: () => Origin): void {
  const rule = OPERATOR_ONLY[method];
  if (!rule) return;
  const p = (params ?? {}) as Record<string, unknown>;
  if (rule.when && !rule.when(p)) return;
  const origin = originOf();
  if (origin.kind === 'operator') return;
  const verb = typeof rule.verb === 'string' ? rule.verb : rule.verb(p);
  if (origin.kind === 'unknown')
    throw new MusterError('bad-input', `Only the operator may ${verb}, and this request cannot be shown to be the operator's: ${origin.why}.`);
  if (rule.target) {
    const target = rule.target(p);
    // No id: the command acts on the caller's own task, which for an agent is its own (caller-task.ts).
    if (target === undefined || (origin.task !== null && target === origin.task)) return;
  }
  const who = origin.task !== null ? `task ${formatId(origin.task)}'s agent` : 'an agent or a gate';
  sup.cell.audit([
    {
      actor: origin.task !== null ? `task ${formatId(origin.task)}` : 'agent',
      kind: 'operator-only-refused',
      details: { method, pid: origin.pid, comm: origin.comm, how: origin.how },
    },
  ]);
  throw new MusterError(
    'bad-input',
    `Only the operator may ${verb}; this request came from ${who} (pid ${origin.pid}, ${origin.comm}): ${origin.how}. Run it from your own shell or the cockpit.`,
  );
}
