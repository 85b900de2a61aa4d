import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptedChildren, adoptThroughWorker } from '../../../src/adapters/proc/orphans.js';

// A stand-in for the terminal worker: it starts one program in a PTY (as it starts an agent)
// and one in a session of its own with no terminal (as an agent's `setsid -f` leaves behind).
const WORKER = `
const pty = require('node-pty');
const { spawn } = require('node:child_process');
const agent = pty.spawn('sleep', ['60'], { cols: 80, rows: 24 });
const daemon = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
console.log(JSON.stringify({ agent: agent.pid, daemon: daemon.pid }));
setInterval(() => {}, 1000);
`;

let worker: ChildProcess | null = null;
afterEach(() => {
  worker?.kill('SIGKILL');
  worker = null;
});

describe("what the supervisor takes for an orphan among the terminal worker's children", () => {
  it('never a program the worker just started in a PTY whose pid has not reached the supervisor yet; still one that left in a session of its own', async () => {
    worker = spawn(process.execPath, ['-e', WORKER], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: worker!.stdout! }).once('line', resolve);
      worker!.once('exit', (code) => reject(new Error(`the stand-in worker exited with ${code}`)));
    });
    const { agent, daemon } = JSON.parse(line) as { agent: number; daemon: number };
    try {
      // The supervisor knows none of its agents yet: the PTY's pid is on its way.
      adoptThroughWorker(worker.pid!, () => []);
      const orphans = adoptedChildren().map((p) => p.pid);
      expect(orphans).toContain(daemon);
      expect(orphans).not.toContain(agent);
    } finally {
      for (const pid of [agent, daemon]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
