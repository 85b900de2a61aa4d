import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WORKER_PROTOCOL, type WorkerRequest } from '../../../src/adapters/worker/messages.js';
import { TerminalWorker } from '../../../src/adapters/worker/terminal-worker.js';
import { encode, readLines } from '../../../src/protocol/ndjson.js';
import { waitFor } from '../../helpers/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/**
 * A worker that answers like the real one and, in the same write as its answer to `watch`,
 * sends a newer summary: the order the real worker can produce when output follows at once.
 */
async function scriptedWorker(socketPath: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    readLines(socket, (line) => {
      const req = JSON.parse(line) as WorkerRequest;
      if (req.m === 'hello') socket.write(encode({ id: req.id, ok: true, r: { pid: process.pid, version: WORKER_PROTOCOL, terminals: [] } }));
      else if (req.m === 'watch')
        socket.write(encode({ id: req.id, ok: true, r: { ago: null, tail: ['old'] } }) + encode({ e: 'seen', task: req.p.task, ago: 0, tail: ['old', 'new'] }));
      else socket.write(encode({ id: req.id, ok: true, r: {} }));
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return server;
}

it("keeps a terminal's newest screen summary when the first one's answer is read after it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-tw-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'worker.sock');
  const server = await scriptedWorker(socketPath);
  cleanups.push(() => server.close());
  const worker = new TerminalWorker({ socketPath, logFile: join(dir, 'worker.log'), bin: '/nonexistent', cwd: dir });
  cleanups.push(() => worker.detach());
  await worker.start();
  const host = worker.host(1, { file: join(dir, 't1.log'), maxBytes: 1 << 20, keep: 1 }, { cols: 80, rows: 24 }, 100, () => undefined);
  await waitFor(() => host.screen!.tail().length > 0, { what: 'a summary' });
  // Both have been handled once a call made after them is answered.
  await host.screen!.settle();
  expect(host.screen!.tail()).toEqual(['old', 'new']);
  expect(host.screen!.lastOutputAt).toBeGreaterThan(0);
});
