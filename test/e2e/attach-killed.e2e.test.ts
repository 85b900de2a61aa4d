import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FULLSCREEN_AGENT } from '../helpers/agent-repo.js';
import { waitFor } from '../helpers/wait.js';
import { addTask, MUSTER, terminalProblems, useE2e, waitForTaskState } from './cockpit.js';

const e2e = useE2e();

const FULL = { full: { command: process.execPath, args: [FULLSCREEN_AGENT] } };

/** The pid of the `muster attach` the pane's shell runs in the foreground. */
function attachPid(panePid: string): number | null {
  try {
    const out = execFileSync('ps', ['--ppid', panePid, '-o', 'pid=,args='], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.includes(' attach 1'));
    return line ? Number(line.trim().split(/\s+/)[0]) : null;
  } catch {
    return null;
  }
}

describe('muster attach killed by a signal', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`puts the terminal back as it found it when it gets ${signal}`, async () => {
      const repo = e2e.repo({ agents: FULL });
      await addTask(repo, 'fullscreen', ['draw'], 'full');
      await waitForTaskState(repo, 1, (t) => t.state === 'running' && t.sessions.length > 0, 'running');
      const term = await e2e.terminal(repo.dir, { cols: 100, rows: 30 });
      const shellModes = term.modes();
      term.run(`${MUSTER} attach 1`);
      await term.waitForText('fullscreen 100x30');
      // The agent's modes are on the operator's terminal while attached.
      await waitFor(() => term.modes().mouse_button_flag === '1', { what: 'mouse reporting on while attached' });
      const pid = await waitFor(() => attachPid(term.format('#{pane_pid}')), { what: 'the pid of muster attach' });

      process.kill(pid, signal);
      expect(await terminalProblems(term, shellModes, { leftOver: /fullscreen/ })).toEqual([]);
    });
  }
});
