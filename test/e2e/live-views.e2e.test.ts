import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addTask, useE2e, waitForTaskState } from './cockpit.js';

const e2e = useE2e();

/** The merges view's first line: target, tip, the merge in flight, the undo hint. */
const mergesHead = (s: string) => s.split('\n').find((l) => l.startsWith('Target main@')) ?? '';

describe('views follow the supervisor', () => {
  it('shows a merge in flight, then its landing and its undo, in the merges view as soon as the header does', async () => {
    const gate = join(tmpdir(), `muster-e2e-gate-${process.pid}-${Date.now()}`);
    const repo = e2e.repo({ extra: `quality_gates:\n  - { name: wait, run: "while [ ! -e ${gate} ]; do sleep 0.05; done" }` });
    await addTask(repo, 'feature', ['@write feature.txt made by the agent', '@commit add feature', '@exit 0']);
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'in review');
    const before = repo.git('rev-parse', 'main').trim().slice(0, 7);
    const term = await e2e.cockpit(repo);
    term.sendKeys('5');
    await term.waitForText([/^1 +#1 /m, '#1 feature — muster/1-feature']);
    await term.waitForStable();

    term.sendKeys('y');
    await term.waitForScreen((s) => mergesHead(s).includes('merging #1') && s.includes('gate wait'), 'the merge in flight, at its gate');
    writeFileSync(gate, '');
    onTestFinished(() => rmSync(gate, { force: true }));
    const landed = await term.waitForText(/Landed #1 on main: \w+ → (\w+)/, { timeout: 30_000 });
    const after = /Landed #1 on main: \w+ → (\w+)/.exec(landed)![1]!;
    // The merges view agrees with the header the moment the header shows the new tip.
    const both = await term.waitForScreen(
      (s) => s.includes(`main@${after}`) && mergesHead(s).startsWith(`Target main@${after}`),
      'the new tip in the header and the merges view',
    );
    expect(mergesHead(both)).not.toContain('merging #1');
    expect(mergesHead(both)).toContain('u undoes the merge of #1');

    term.sendKeys('u');
    await term.waitForText(`Undo the merge of #1 feature? main goes back from ${after} to ${before}`);
    term.sendKeys('y');
    const undone = await term.waitForScreen((s) => mergesHead(s).startsWith(`Target main@${before}`), 'the merges view back at the old tip');
    expect(mergesHead(undone)).not.toContain('u undoes');
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'back in review');
  });
});

describe('findings in the merges view', () => {
  it("keeps a task's findings on screen after an approval that stopped on them, without leaving the view", async () => {
    const repo = e2e.repo();
    await addTask(repo, 'readme', ['@write README.md the agent version', '@commit agent readme', '@exit 0']);
    await waitForTaskState(repo, 1, (t) => t.state === 'review', 'in review');
    repo.write('README.md', 'the main version\n');
    repo.commitAll('main edits the readme');
    const term = await e2e.cockpit(repo);
    term.sendKeys('5');
    const finding = /merge: #1 conflicts with main in README\.md/;
    await term.waitForText([/^1 +#1 +medium +1 +1 +[1-9] +readme/m, finding], { timeout: 30_000 });
    await term.waitForStable();

    term.sendKeys('y');
    await term.waitForText('Merge of #1 into main stopped: README.md conflicts with main.', { timeout: 30_000 });
    // The scan after the attempt finds the same conflict again; the view shows it as it comes.
    await term.waitForText([/^1 +#1 +medium +1 +1 +[1-9] +readme/m, finding], { timeout: 30_000 });
  });
});
