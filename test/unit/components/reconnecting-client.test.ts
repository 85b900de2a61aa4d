import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingClient } from '../../../components/tui/reconnecting-client.js';
import { MusterClient } from '../../../src/client/client.js';
import { waitFor } from '../../helpers/wait.js';

const caller = { cwd: '/', worktreeRoot: null, envTaskId: null, pid: process.pid, ppid: process.ppid };

/** A socket server that answers ping with `pid`, sends events on demand, and can drop everyone. */
class FakeSupervisor {
  readonly sockets = new Set<Socket>();
  private constructor(
    readonly server: Server,
    readonly pid: number,
  ) {}

  static async start(path: string, pid: number, opts: { silent?: boolean } = {}): Promise<FakeSupervisor> {
    let sup: FakeSupervisor | null = null;
    const server = createServer((socket) => {
      sup!.sockets.add(socket);
      socket.on('close', () => sup!.sockets.delete(socket));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          const req = JSON.parse(line) as { id: number; method: string };
          if (!opts.silent) socket.write(`${JSON.stringify({ t: 'res', id: req.id, ok: true, result: { pid } })}\n`);
        }
      });
    });
    sup = new FakeSupervisor(server, pid);
    await new Promise<void>((r) => server.listen(path, r));
    return sup;
  }

  event(topic: string, data: unknown): void {
    for (const s of this.sockets) s.write(`${JSON.stringify({ t: 'evt', topic, data })}\n`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('ReconnectingClient', () => {
  it('says once that the supervisor went away, fails cut-off calls with that instead of the socket error, and follows a new connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muster-link-'));
    dirs.push(dir);
    const path = join(dir, 's.sock');
    const first = await FakeSupervisor.start(path, 111, { silent: true });
    const link = new ReconnectingClient(await MusterClient.open(path, caller), async () => MusterClient.open(path, caller));
    const seen: string[] = [];
    link.onDisconnect(() => seen.push('down'));
    link.onReconnect(() => seen.push('up'));
    link.onEvent((e) => seen.push(`event ${e.topic}`));
    await waitFor(() => first.sockets.size === 1, { what: 'the connection' });
    first.event('task', {});
    await waitFor(() => seen.includes('event task'), { what: 'the event' });

    const cutOff = link.call('ping', {});
    await first.stop();
    await expect(cutOff).rejects.toThrow('The muster supervisor is not running (muster stop, or it crashed).');
    await expect(link.call('ping', {})).rejects.toThrow('The muster supervisor is not running');
    expect(seen).toEqual(['event task', 'down']);
    expect(link.connected).toBe(false);
    // Nothing listens: reconnecting without starting one finds nothing.
    expect(await link.reconnect(false)).toBe(false);

    const second = await FakeSupervisor.start(path, 222);
    expect(await link.reconnect(false)).toBe(true);
    expect(seen).toEqual(['event task', 'down', 'up']);
    expect(await link.call('ping', {})).toEqual({ pid: 222 });
    second.event('conflicts', []);
    await waitFor(() => seen.includes('event conflicts'), { what: 'the event on the new connection' });
    link.close();
    await second.stop();
  });

  it('passes on why starting the supervisor failed, so the cockpit can show it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muster-link-'));
    dirs.push(dir);
    const path = join(dir, 's.sock');
    const sup = await FakeSupervisor.start(path, 1);
    const link = new ReconnectingClient(await MusterClient.open(path, caller), async () => {
      throw new Error('.muster/config.yaml:3 parallel.max_workers: expected a positive integer, received "four"');
    });
    await sup.stop();
    await waitFor(() => !link.connected, { what: 'the drop' });
    await expect(link.reconnect(true)).rejects.toThrow('max_workers');
  });
});
