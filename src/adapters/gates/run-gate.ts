import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { trackChild, untrackChild } from '../proc/orphans.js';
import { terminate, type ProcessSelector } from '../proc/process-groups.js';
import { hasProcTable, readStat } from '../proc/proc-table.js';
import { gateMarker, RUN_MARKER_VAR, runKey } from '../proc/run-marker.js';

export interface GateRun {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** The end of the output (stdout and stderr as they came), enough to show why it failed. */
  output: string;
}

const KEEP = 16 * 1024;
/** Grace between SIGTERM and SIGKILL for what a gate leaves running. */
const GATE_GRACE_MS = 3000;

/** Where the running gate of an integration worktree is recorded: beside it, in the state directory. */
function recordFile(cwd: string): string {
  return `${cwd}.gate.json`;
}

/**
 * Every process of a gate run in `cwd`, this one or one that a killed supervisor left: the
 * session recorded when it started, and whatever carries the worktree's gate marker.
 */
export function gateSelector(cwd: string): ProcessSelector {
  let sessions: ProcessSelector['sessions'] = [];
  try {
    const rec = JSON.parse(readFileSync(recordFile(cwd), 'utf8')) as { pid: number; start: string | null };
    if (Number.isInteger(rec.pid)) sessions = [{ sid: rec.pid, leaderStart: rec.start ?? null }];
  } catch {
    // no gate recorded
  }
  return { sessions, markers: [gateMarker(runKey(cwd))] };
}

/**
 * Stops any gate still running in `cwd` (left by a supervisor that was killed) and what gates
 * left behind there; resolves with what could not be stopped.
 */
export async function stopGates(cwd: string, graceMs = GATE_GRACE_MS): Promise<string[]> {
  if (!hasProcTable()) return [];
  const left = await terminate(gateSelector(cwd), graceMs);
  if (!left.length) rmSync(recordFile(cwd), { force: true });
  return left.map((p) => `pid ${p.pid} (${p.comm})`);
}

/**
 * Runs one quality gate through the shell (the operator's own config) in a session of its
 * own, recorded beside the worktree, with the worktree's gate marker in its environment.
 * Two gates never run at once in one worktree: a gate a killed supervisor left there is
 * stopped first, and what a gate leaves running is stopped when it ends. The whole output
 * goes to `logFile`.
 */
export async function runGate(command: string, cwd: string, timeoutSec: number, logFile: string, env: NodeJS.ProcessEnv): Promise<GateRun> {
  const stray = await stopGates(cwd);
  if (stray.length) {
    const output = `muster: an earlier gate in ${cwd} is still running and could not be stopped (${stray.join(', ')}); stop it, then approve again.`;
    return { ok: false, exitCode: null, timedOut: false, output };
  }
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const run = await new Promise<GateRun>((resolve) => {
    let tail = '';
    let timedOut = false;
    const child = spawn('/bin/sh', ['-c', command], {
      cwd,
      env: { ...env, [RUN_MARKER_VAR]: gateMarker(runKey(cwd)) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) {
      trackChild(child.pid);
      writeFileSync(recordFile(cwd), JSON.stringify({ pid: child.pid, start: readStat(child.pid)?.start ?? null }), { mode: 0o600 });
    }
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
    // What the gate left running may hold its output open, and 'close' would wait for it:
    // stop that once the gate itself has exited, and stop waiting for output soon after.
    child.on('exit', () => {
      void stopGates(cwd).finally(() => {
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, 1000).unref();
      });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid) untrackChild(child.pid);
      const note = timedOut ? `\n[muster: stopped after ${timeoutSec}s]` : '';
      log.end(note);
      resolve({ ok: code === 0 && !timedOut, exitCode: code, timedOut, output: `${tail}${note}` });
    });
  });
  // A server or watcher the gate started must not run on into the next gate.
  const left = await stopGates(cwd, 0);
  if (left.length) return { ...run, ok: false, output: `${run.output}\nmuster: the gate left processes that could not be stopped: ${left.join(', ')}` };
  return run;
}
