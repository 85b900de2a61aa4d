import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WORKER_PROTOCOL, type WorkerRequest } from '../../../src/adapters/worker/messages.js';
import { RemoteWorker } from '../../../src/adapters/worker/remote-worker.js';
import { TerminalWorker } from '../../../src/adapters/worker/terminal-worker.js';
import { encode, readLines } from '../../../src/protocol/ndjson.js';

const OLD = WORKER_PROTOCOL - 1;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'muster-wv-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

it('refuses a local terminal worker of another muster version, naming both versions', async () => {
  const dir = tempDir();
  const socketPath = join(dir, 'worker.sock');
  // A worker of the build before: it says hello with its version, and takes the request to stop.
  const server: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    readLines(socket, (line) => {
      const req = JSON.parse(line) as WorkerRequest;
      socket.write(encode({ id: req.id, ok: true, r: req.m === 'hello' ? { pid: process.pid, version: OLD, terminals: [] } : {} }));
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  cleanups.push(() => server.close());
  const worker = new TerminalWorker({ socketPath, logFile: join(dir, 'worker.log'), bin: '/nonexistent', cwd: dir });
  cleanups.push(() => worker.detach());
  await expect(worker.start()).rejects.toThrow(`the terminal worker (pid ${process.pid}) speaks version ${OLD}, not ${WORKER_PROTOCOL}`);
});

/**
 * A host "far" whose `ssh host muster worker --stdio` reaches a worker (pid 4242) of protocol
 * `version`: the ssh command is a script that answers hello and acknowledges everything else.
 */
function hostWorker(version: number): RemoteWorker {
  const script = join(tempDir(), 'worker.mjs');
  writeFileSync(
    script,
    [
      "import { createInterface } from 'node:readline';",
      'createInterface({ input: process.stdin }).on("line", (line) => {',
      '  const req = JSON.parse(line);',
      `  process.stdout.write(JSON.stringify({ id: req.id, ok: true, r: req.m === 'hello' ? { pid: 4242, version: ${version}, terminals: [] } : {} }) + '\\n');`,
      '});',
    ].join('\n'),
  );
  const worker = new RemoteWorker({ name: 'far', ssh: 'far.example', dir: 'work', ssh_options: { sshCommand: `${process.execPath} ${script}` } });
  cleanups.push(() => worker.close());
  return worker;
}

it("refuses a host's worker of another muster version, saying what to do there", async () => {
  // What `ssh host muster worker --stdio` reaches on a host that runs an older muster's worker.
  const worker = hostWorker(OLD);
  await expect(worker.connected()).rejects.toThrow(
    `host far's worker (pid 4242) speaks version ${OLD}, not ${WORKER_PROTOCOL}: install the same muster there, and stop that worker once its agents are done`,
  );
});

it('lets go of a host whose ssh connection was still being made when the supervisor stopped, so the supervisor can exit', async () => {
  const worker = hostWorker(WORKER_PROTOCOL);
  const connecting = worker.connected();
  worker.close();
  // Before the fix the connection made after close was kept: the stopped supervisor stayed up, connected to the host.
  await expect(connecting).rejects.toThrow('the connection to host far was let go: the supervisor is stopping');
  expect(worker.isConnected).toBe(false);
});
