import { MusterError } from '../../protocol/errors.js';
import type { Request } from '../../protocol/messages.js';
import { isMethod, METHODS, type Caller, type MethodName } from '../../protocol/methods.js';
import type { Connection } from '../server.js';
import type { Supervisor } from '../supervisor.js';
import { setPaused, status } from './status-handlers.js';
import { contextAck, contextAdd, contextShow } from './context-handlers.js';
import { gc } from './gc.js';
import { mergeApprove, mergeDiff, mergeList, mergeReject, mergeSkip, mergeUndo } from './merge-handlers.js';
import { taskImport } from './import-handler.js';
import { lockAcquire, lockCheck, lockGuard, lockList, lockRelease } from './lock-handlers.js';
import { agentStatus, taskAdd, taskAssign, taskCancel, taskDone, taskList, taskMove, taskRetry, taskShow } from './task-handlers.js';
import { termAttach, termDetach, termInput, termResize, termUnwatch, termWatch } from './terminal-handlers.js';

type Handler = (sup: Supervisor, params: never, caller: Caller | undefined, conn: Connection) => unknown;

const HANDLERS: Record<MethodName, Handler> = {
  ping: (sup) => ({ pid: sup.ctx.pid }),
  status: (sup) => status(sup),
  'daemon.stop': (sup) => {
    setImmediate(() => sup.stop());
    return { ok: true };
  },
  'dispatch.pause': (sup, _p, caller) => setPaused(sup, true, sup.actorOf(caller)),
  'dispatch.resume': (sup, _p, caller) => setPaused(sup, false, sup.actorOf(caller)),
  'task.add': taskAdd as Handler,
  'task.list': taskList,
  'task.show': taskShow as Handler,
  'task.cancel': taskCancel as Handler,
  'task.move': taskMove as Handler,
  'task.assign': taskAssign as Handler,
  'task.done': taskDone as Handler,
  'task.retry': taskRetry as Handler,
  'agent.status': agentStatus as Handler,
  'term.attach': (sup, p, _c, conn) => termAttach(sup, p, conn),
  'term.detach': (_sup, p, _c, conn) => termDetach(p, conn),
  'term.watch': (sup, p, _c, conn) => termWatch(sup, p, conn),
  'term.unwatch': (_sup, p, _c, conn) => termUnwatch(p, conn),
  'term.input': (sup, p) => termInput(sup, p),
  'term.resize': (sup, p) => termResize(sup, p),
  gc: gc as Handler,
  'lock.acquire': lockAcquire as Handler,
  'lock.release': lockRelease as Handler,
  'lock.list': (sup) => lockList(sup),
  'lock.check': lockCheck as Handler,
  'lock.guard': lockGuard as Handler,
  'context.add': contextAdd as Handler,
  'context.show': contextShow as Handler,
  'context.ack': contextAck as Handler,
  'task.import': taskImport as Handler,
  'merge.list': (sup) => mergeList(sup),
  conflicts: async (sup, p: { fresh: boolean }) => (p.fresh ? sup.scanner.scan() : sup.scanner.conflicts),
  'merge.approve': mergeApprove as Handler,
  'merge.reject': mergeReject as Handler,
  'merge.skip': mergeSkip as Handler,
  'merge.undo': mergeUndo as Handler,
  'merge.diff': mergeDiff as Handler,
  subscribe: (_sup, p: { topics: string[] }, _c, conn) => {
    for (const t of p.topics) conn.topics.add(t);
    return { ok: true };
  },
};

/** Validates a request against its method's schema, runs it, and checks the result too. */
export async function handleRequest(sup: Supervisor, req: Request, conn: Connection): Promise<unknown> {
  if (!isMethod(req.method)) throw new MusterError('bad-input', `Unknown method "${req.method}".`);
  const spec = METHODS[req.method];
  const params = spec.params.safeParse(req.params ?? {});
  if (!params.success) {
    const issue = params.error.issues[0];
    throw new MusterError('bad-input', `Bad parameters for ${req.method}: ${issue?.path.join('.') || 'params'}: ${issue?.message}`);
  }
  const result = await HANDLERS[req.method](sup, params.data as never, req.caller, conn);
  return spec.result.parse(result);
}
