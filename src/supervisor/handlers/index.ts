import { MusterError } from '../../protocol/errors.js';
import type { Request } from '../../protocol/messages.js';
import { taskViewSchema, type TaskView } from '../../protocol/shapes.js';
import { isMethod, METHODS, type Caller, type MethodName, type ParsedParamsOf, type ResultOf } from '../../protocol/methods.js';
import type { Connection } from '../../adapters/socket/socket-server.js';
import type { Services } from '../services.js';
import { setPaused, status } from './status-handlers.js';
import { contextAck, contextAdd, contextShow } from './context-handlers.js';
import { gc } from './gc.js';
import { taskDetail } from './detail-handler.js';
import { mergeApprove, mergeDiff, mergeList, mergeReject, mergeSkip, mergeUndo } from './merge-handlers.js';
import { taskImport } from './import-handler.js';
import { lockAcquire, lockCheck, lockGuard, lockList, lockRelease } from './lock-handlers.js';
import { bindCaller, lazyOrigin, vouchedOrigin } from '../caller-task.js';
import { checkOperatorOnly } from './operator-only.js';
import { checkHostScope } from './host-scope.js';
import { agentDismiss, agentPreEdit, agentSession, agentTurnEnded } from './agent-handlers.js';
import { agentStatus, taskAdd, taskAssign, taskCancel, taskDone, taskList, taskMove, taskRetry, taskShow } from './task-handlers.js';
import { termAttach, termDetach, termInput, termResize, termUnwatch, termWatch } from './terminal-handlers.js';
import { termHistory, termLog } from './log-handlers.js';

/** A method's handler: its parsed parameters in, its result (checked against the method's schema) out. */
type Handler<M extends MethodName> = (
  sup: Services,
  params: ParsedParamsOf<M>,
  caller: Caller | undefined,
  conn: Connection,
) => ResultOf<M> | Promise<ResultOf<M>>;

const HANDLERS: { [M in MethodName]: Handler<M> } = {
  ping: (sup) => ({ pid: sup.cell.ctx.pid }),
  status: (sup) => status(sup),
  'daemon.stop': (sup, _p, caller) => {
    process.stderr.write(`muster: supervisor ${process.pid} asked to stop by ${sup.cell.actorOf(caller)}\n`);
    setImmediate(() => sup.dispatcher.stop());
    return { ok: true };
  },
  'dispatch.pause': (sup, _p, caller) => setPaused(sup, true, sup.cell.actorOf(caller)),
  'dispatch.resume': (sup, _p, caller) => setPaused(sup, false, sup.cell.actorOf(caller)),
  'task.add': taskAdd,
  'task.list': taskList,
  'task.show': taskShow,
  'task.detail': taskDetail,
  'task.cancel': taskCancel,
  'task.move': taskMove,
  'task.assign': taskAssign,
  'task.done': taskDone,
  'task.retry': taskRetry,
  'agent.status': agentStatus,
  'agent.pre-edit': agentPreEdit,
  'agent.session': agentSession,
  'agent.turn-ended': agentTurnEnded,
  'agent.dismiss': agentDismiss,
  'term.attach': (sup, p, _c, conn) => termAttach(sup, p, conn),
  'term.detach': (_sup, p, _c, conn) => termDetach(p, conn),
  'term.watch': (sup, p, _c, conn) => termWatch(sup, p, conn),
  'term.unwatch': (_sup, p, _c, conn) => termUnwatch(p, conn),
  'term.input': (sup, p, _c, conn) => termInput(sup, p, conn),
  'term.log': (sup, p, _c, conn) => termLog(sup, p, conn),
  'term.history': (sup, p) => termHistory(sup, p),
  'term.resize': (sup, p, _c, conn) => termResize(sup, p, conn),
  gc,
  'lock.acquire': lockAcquire,
  'lock.release': lockRelease,
  'lock.list': (sup) => lockList(sup),
  'lock.check': lockCheck,
  'lock.guard': lockGuard,
  'context.add': contextAdd,
  'context.show': contextShow,
  'context.ack': contextAck,
  'task.import': taskImport,
  'merge.list': (sup) => mergeList(sup),
  conflicts: async (sup, p) => (p.fresh ? sup.scanner.scan() : sup.scanner.conflicts),
  'merge.approve': mergeApprove,
  'merge.reject': mergeReject,
  'merge.skip': mergeSkip,
  'merge.undo': mergeUndo,
  'merge.diff': mergeDiff,
  subscribe: (_sup, p, _c, conn) => {
    for (const t of p.topics) conn.topics.add(t);
    return { ok: true };
  },
  unsubscribe: (_sup, p, _c, conn) => {
    for (const t of p.topics) conn.topics.delete(t);
    return { ok: true };
  },
};

/**
 * Runs a method's handler. TypeScript cannot tie a union of methods to its parameters, so the
 * parameters are taken as the method's own: its schema parsed them just before.
 */
function dispatch<M extends MethodName>(method: M, sup: Services, params: unknown, caller: Caller | undefined, conn: Connection): unknown {
  const handler: Handler<M> = HANDLERS[method];
  return handler(sup, params as ParsedParamsOf<M>, caller, conn);
}

/** Validates a request against its method's schema, runs it, and checks the result too. */
export async function handleRequest(sup: Services, req: Request, conn: Connection): Promise<unknown> {
  if (!isMethod(req.method)) throw new MusterError('bad-input', `Unknown method "${req.method}".`);
  const spec = METHODS[req.method];
  const params = spec.params.safeParse(req.params ?? {});
  if (!params.success) {
    const issue = params.error.issues[0];
    throw new MusterError('bad-input', `Bad parameters for ${req.method}: ${issue?.path.join('.') || 'params'}: ${issue?.message}`);
  }
  // A connection a host's worker forwards reaches no further than its agent's own task.
  checkHostScope(sup, req.method, params.data, conn.vouched);
  const origin = lazyOrigin(() => (conn.vouched ? vouchedOrigin(sup.cell.state, conn.vouched) : sup.warden.originOf(conn.peer)));
  checkOperatorOnly(sup, req.method, params.data, origin);
  const result = await dispatch(req.method, sup, params.data, bindCaller(sup.cell.state, req.caller, origin), conn);
  if (req.method === 'status') {
    const r = result as ResultOf<'status'>;
    return { ...spec.result.parse({ ...r, tasks: [] }), tasks: checkedViews(r.tasks) };
  }
  if (req.method === 'task.list') return checkedViews(result as ResultOf<'task.list'>);
  return spec.result.parse(result);
}

// Task views are built once per change of their task (views.ts): each is checked against its
// schema once too. Checking the 500 views of a status again for every request cost as much
// CPU as the client's own check of the answer (7–21 ms, by load).
const checked = new WeakSet<TaskView>();

function checkedViews(views: TaskView[]): TaskView[] {
  for (const v of views) {
    if (checked.has(v)) continue;
    taskViewSchema.parse(v);
    checked.add(v);
  }
  return views;
}
