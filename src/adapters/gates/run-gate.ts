import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface GateRun {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The end of the output (stdout and stderr as they came), enough to show why it failed. */
  output: string;
}

const KEEP = 16 * 1024;

/**
 * Runs one quality gate through the shell (the operator's own config), in its own process
 * group so a timeout stops everything it started. The whole output goes to `logFile`.
 */
export function runGate(command: string, cwd: string, timeoutSec: number, logFile: string, env: NodeJS.ProcessEnv): Promise<GateRun> {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  return new Promise((resolve) => {
    let tail = '';
    let timedOut = false;
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (chunk: Buffer) => {
      log.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-KEEP);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutSec * 1000);
    child.on('error', (e) => {
      tail += `\n${e.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const note = timedOut ? `\n[muster: stopped after ${timeoutSec}s]` : '';
      log.end(note);
      resolve({ ok: code === 0 && !timedOut, exitCode: code, timedOut, output: `${tail}${note}` });
    });
  });
}
