import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { musterJson, stopDaemon } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

/** Sends one request as the nobody user, on a raw socket, and prints the reply line. */
const RAW_CLIENT = `
const net = require('node:net');
const s = net.connect(process.argv[1]);
let buf = '';
s.on('connect', () => s.write(JSON.stringify({ t: 'req', id: 7, method: 'task.list', params: {} }) + '\\n'));
s.on('data', (d) => { buf += d; if (buf.includes('\\n')) { process.stdout.write(buf.split('\\n')[0]); s.destroy(); } });
s.on('error', (e) => { process.stdout.write('ERROR ' + e.code); });
`;

describe('a connection from another user', () => {
  let repo: TempRepo | null = null;
  afterEach(async () => {
    if (repo) await stopDaemon(repo.dir);
    repo?.cleanup();
    repo = null;
  });

  it.skipIf(!isRoot || !hasSetpriv)(
    'is refused with a message even when the socket permissions would let it in (needs root and setpriv to run a client as nobody)',
    async () => {
      repo = createTempRepo();
      const status = await musterJson<{ daemon: { socket: string } }>(repo.dir, ['status']);
      const socket = status.daemon.socket;
      // Open every directory on the way and the socket itself, as a mistake or another bug might.
      chmodSync(socket, 0o666);
      for (let d = dirname(socket); d.startsWith(repo.root); d = dirname(d)) chmodSync(d, 0o755);

      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', RAW_CLIENT, socket], {
        cwd: '/',
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const reply = JSON.parse(r.stdout) as { id: number; ok: boolean; error?: { message: string } };
      expect(reply.id).toBe(7);
      expect(reply.ok).toBe(false);
      expect(reply.error?.message).toMatch(/^This muster supervisor belongs to uid 0; a process of uid 65534 \(pid \d+\) may not use it\./);

      // The owner is still served.
      const tasks = await musterJson<unknown[]>(repo.dir, ['task', 'list']);
      expect(tasks).toEqual([]);
    },
  );
});
