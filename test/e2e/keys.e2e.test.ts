import { describe, it } from 'vitest';
import { addTask, useE2e } from './cockpit.js';

const e2e = useE2e();

describe('keys in the cockpit', () => {
  // Guards a regression: keys that reach muster in one read (typed fast, over SSH, while a frame
  // is drawn) come to useInput as one `input`; they were once all dropped, and are now split
  // into keys before dispatch.
  it('handles each of two keys that arrive together', async () => {
    const repo = e2e.repo();
    await addTask(repo, 'idle', ['@print idling', '@stay']);
    const term = await e2e.cockpit(repo);
    await term.waitForText('idling');

    // "2" (tasks view) then "5" (merges view), written to the terminal at once.
    term.type('25');
    await term.waitForText('Nothing to merge');
  });
});
