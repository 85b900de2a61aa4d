import { spawn } from 'node:child_process';
import { testEnv } from '../../test/helpers/cli.js';
import { nowMs } from './stats.js';

/** Runs a command to its end and times it; a non-zero exit rejects with what it said. */
export function timeCommand(cmd: string, args: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = nowMs();
    const child = spawn(cmd, args, { cwd, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ ms: nowMs() - t, stdout }) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}
