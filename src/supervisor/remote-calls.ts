import { formatId } from '../core/task.js';
import { callChannel, type CallChannel } from '../adapters/worker/call-channel.js';
import type { CallEvent } from '../adapters/worker/messages.js';
import type { WorkerClient } from '../adapters/worker/worker-client.js';
import type { StateCell } from './state-cell.js';

/**
 * The `muster` calls of agents on hosts, served as calls of their tasks. A host's worker
 * forwards each connection made to the supervisor socket it serves there, with who it says
 * connected (judged there from the kernel's record of the peer, as this supervisor judges its
 * own connections); the connection is then served like one made here. The worker's word is
 * taken only for tasks placed on that host: anything else is refused, so a host can never act
 * for a task of this machine, another host's, or the operator.
 */
export class RemoteCalls {
  private readonly channels = new Map<string, CallChannel>();

  constructor(private readonly cell: StateCell) {}

  handle(host: string, client: WorkerClient, e: CallEvent): void {
    const key = `${host}:${e.ch}`;
    if (e.e === 'call-line') this.channels.get(key)?.push(e.line);
    else if (e.e === 'call-close') this.channels.get(key)?.close();
    else if (e.e === 'call-open') this.open(host, client, key, e);
    // Anything else is not a call: ignored.
  }

  private open(host: string, client: WorkerClient, key: string, e: Extract<CallEvent, { e: 'call-open' }>): void {
    const server = this.cell.server;
    if (!server?.adopt || this.cell.isStopping) {
      client.send('call-end', { ch: e.ch });
      return;
    }
    const refusal = this.refusal(host, e);
    const channel = callChannel(
      (line) => client.send('call-reply', { ch: e.ch, line }),
      () => client.send('call-end', { ch: e.ch }),
      (ready) => client.whenWritable(ready),
    );
    this.channels.set(key, channel);
    channel.stream.once('close', () => {
      if (this.channels.get(key) === channel) this.channels.delete(key);
    });
    const vouched = refusal || e.task === null ? null : { host, task: e.task, pid: e.pid, comm: e.comm, how: e.how, worktree: e.worktree };
    server.adopt(channel.stream, null, refusal, vouched);
  }

  private refusal(host: string, e: Extract<CallEvent, { e: 'call-open' }>): string | null {
    const who = `pid ${e.pid} (${e.comm}) on host ${host}`;
    if (e.task === null)
      return `This request came through host ${host}'s muster worker from ${who}, which ${e.how}. Through a host only the agents of the tasks placed there reach the supervisor; run muster on the supervisor's machine, or with --host.`;
    const task = this.cell.state.tasks.find((t) => t.id === e.task);
    if (task?.host !== host) {
      const where = !task ? 'does not exist' : task.host ? `runs on host ${task.host}` : 'runs on the supervisor’s machine';
      this.cell.audit([{ actor: `host ${host}`, kind: 'operator-only-refused', details: { claimed: e.task, host, pid: e.pid, comm: e.comm, why: where } }]);
      return `Host ${host}'s worker says ${who} works for task ${formatId(e.task)}, and that task ${where}: a host speaks only for the tasks placed on it. The request was refused.`;
    }
    return null;
  }

  /** A host's connection went away: the calls it carried end with it (the agents' clients see their connection close). */
  hostDown(host: string): void {
    for (const [key, channel] of this.channels) if (key.startsWith(`${host}:`)) channel.close();
  }
}
