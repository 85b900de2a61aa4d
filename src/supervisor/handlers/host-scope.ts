import { formatId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { MethodName } from '../../protocol/methods.js';
import type { Vouched } from '../../adapters/socket/socket-server.js';
import type { Services } from '../services.js';

interface HostRule {
  /** The task the request reads or acts on: only the caller's own (undefined: its own, as the handler resolves it). */
  own?: (params: Record<string, unknown>) => unknown;
}

/**
 * What a connection forwarded by a host's worker may ask: what an agent there calls for its own
 * task, and nothing more — what `muster hook …`, the commit guard (`lock.guard`), the muster
 * MCP server's tools and the CLI commands its brief names (`lock`, `context`, `agent status`,
 * `task show` of its task, `task done`) send. The overview reads (`status`, `task.list`,
 * `lock.list`, `conflicts`) stay: the MCP server finds its task in `status`, and the brief
 * shows the other tasks' locks anyway. Everything else — adding or steering tasks, other
 * tasks' screens, logs, prompts and diffs, the merge queue, subscriptions — is the
 * operator's machine's: a host only runs agents, and a process there that passes for an agent
 * must not reach further than that agent's task. What an agent may not do to another task
 * even here is operator-only.ts's, checked after this.
 */
export const HOST_METHODS: Partial<Record<MethodName, HostRule>> = {
  ping: {},
  status: {},
  'task.list': {},
  'task.show': { own: (p) => p.id },
  'task.detail': { own: (p) => p.id },
  'task.done': {},
  'agent.status': {},
  'agent.pre-edit': {},
  'agent.session': {},
  'agent.turn-ended': {},
  'lock.acquire': {},
  'lock.release': {},
  'lock.list': {},
  'lock.check': {},
  'lock.guard': {},
  'context.add': {},
  'context.show': {},
  conflicts: {},
};

/** Why a request forwarded from a host is refused, or null when an agent there may make it. */
export function hostScopeRefusal(method: MethodName, params: unknown, v: Vouched): string | null {
  const rule = HOST_METHODS[method];
  const who = `pid ${v.pid} (${v.comm}) on host ${v.host}, for task ${formatId(v.task)}`;
  const why =
    `Through a host's worker only the calls an agent makes for its own task reach the supervisor (its status, locks, hooks, ` +
    `commit guard, the shared context and the muster MCP tools), so a host can never steer the queue or read the other tasks.`;
  const next = `Run it on the operator's machine, where the repository's supervisor runs.`;
  if (!rule) return `Refused "${method}" from ${who}. ${why} ${next}`;
  const target = rule.own?.((params ?? {}) as Record<string, unknown>);
  if (target !== undefined && target !== v.task)
    return `Refused "${method}" of task ${formatId(target as number)} from ${who}: an agent on a host reads only its own task. ${why} ${next}`;
  return null;
}

/** Refuses (and audits) a forwarded request that goes beyond its task. */
export function checkHostScope(sup: Services, method: MethodName, params: unknown, v: Vouched | null): void {
  if (!v) return;
  const refusal = hostScopeRefusal(method, params, v);
  if (!refusal) return;
  sup.cell.audit([{ actor: `host ${v.host}`, kind: 'host-call-refused', details: { method, task: v.task, host: v.host, pid: v.pid, comm: v.comm } }]);
  throw new MusterError('bad-input', refusal);
}
