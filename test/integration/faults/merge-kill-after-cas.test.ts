import { afterEach, describe, it } from 'vitest';
import { stopDaemon } from '../../helpers/cli.js';
import { killDuringMerge, killDuringUndo, type FaultRepo, type MergeCase } from './merge-flow.js';

const ctx = { repo: null, sup: null } as unknown as FaultRepo;
afterEach(async () => {
  ctx.sup?.client.close();
  if (ctx.repo) {
    await stopDaemon(ctx.repo.dir);
    ctx.repo.cleanup();
  }
  Object.assign(ctx, { repo: null, sup: null });
});

const CASES: MergeCase[] = [
  // git moved main, the store did not hear of it: recovery reads main and records the landing.
  { step: 'merge:cas-done', landed: true, retiredOnRecovery: true, undoAfter: true },
  { step: 'merge:fast-forward-checkout', landed: true, retiredOnRecovery: true, undoAfter: true },
  { step: 'merge:fast-forward-checkout-done', landed: true, retiredOnRecovery: true },
  { step: 'merge:finish', landed: true, retiredOnRecovery: true },
  // The landing was recorded; the restart finishes retiring it: archive, remove, release the slot.
  { step: 'merge:archive', landed: true, retiredOnRecovery: true },
  { step: 'merge:archive-scratch', landed: true, retiredOnRecovery: true, midSnapshot: true },
  { step: 'merge:remove-worktree', landed: true, retiredOnRecovery: true },
  // The worktree is gone but the store still names it: the restart drops it and releases the slot.
  { step: 'merge:remove-worktree-done', landed: true, retiredOnRecovery: true },
];

describe('kill -9 of the supervisor once the target has moved', () => {
  it.each(CASES)('at $step: the landing is recorded as git has it, the checkout is fast-forwarded, nothing lost', async (c) => {
    await killDuringMerge(ctx, c);
  });
});

describe('kill -9 of the supervisor during merge undo', () => {
  it.each(['undo:cas', 'undo:cas-done'] as const)('at %s: the record says what git did, and the checkout follows main', async (step) => {
    await killDuringUndo(ctx, step);
  });
});
