import { afterEach, describe, expect, it } from 'vitest';
import { stopDaemon } from '../helpers/cli.js';
import { createClaudeRepo, type ClaudeRepo } from '../helpers/claude-repo.js';
import { clientFor, waitForTask } from '../helpers/supervisor.js';
import { openCockpit, useE2e } from './cockpit.js';
import { visible } from './tmux.js';

const e2e = useE2e();
const SLOW = 120_000;

let cr: ClaudeRepo | null = null;
afterEach(async () => {
  if (!cr) return;
  await stopDaemon(cr.repo.dir);
  await cr.cleanup();
  cr.repo.cleanup();
  cr = null;
});

describe('a real Claude Code agent in the cockpit', () => {
  it(
    'shows the status its hooks report in its pane title: working, waiting-input at a permission prompt, idle with work once it committed',
    { timeout: 4 * SLOW },
    async () => {
      cr = await createClaudeRepo();
      let release!: () => void;
      cr.model.reply(
        {
          blocks: [{ tool: 'Bash', input: { command: 'echo one > one.txt && git add one.txt && git commit -qm "first file"', description: 'commit a file' } }],
          gate: new Promise<void>((r) => (release = r)),
        },
        [{ text: 'Committed the first file.' }],
      );
      const client = await clientFor(cr.repo.dir);
      try {
        await client.call('task.add', { title: 'commits', prompt: 'Commit a file', risk: 'low' });
        const term = await e2e.terminal(cr.repo.dir, { cols: 160, rows: 40 });
        await openCockpit(term);
        await term.waitForText('#1 · commits · claude · working', { timeout: SLOW });
        release();
        // Bash is not pre-approved: Claude Code asks, and its Notification hook says so.
        await term.waitForText(['#1 · commits · claude · waiting-input', 'Do you want to proceed?'], { timeout: SLOW });
        term.sendKeys('Enter');
        await term.waitForText('#1 attached', { timeout: SLOW });
        term.type('1');
        await waitForTask(client, 1, (t) => t.activity !== 'waiting-input', 'answered', SLOW);
        term.sendKeys('C-]');
        const screen = await term.waitForText('idle with work · d: review', { timeout: SLOW });
        expect(visible(screen)).toContain('#1 · commits · claude');
        term.type('d');
        await waitForTask(client, 1, (t) => t.state === 'review', 'sent to review with d', SLOW);
      } finally {
        client.close();
      }
    },
  );
});
