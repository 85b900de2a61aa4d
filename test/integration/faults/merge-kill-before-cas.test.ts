import { afterEach, describe, it } from 'vitest';
import { stopDaemon } from '../../helpers/cli.js';
import { killDuringMerge, type FaultRepo, type MergeCase } from './merge-flow.js';

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
  { step: 'merge:integrate', landed: false, retiredOnRecovery: false },
  { step: 'merge:integrate-done', landed: false, retiredOnRecovery: false },
  { step: 'merge:gates', landed: false, retiredOnRecovery: false },
  { step: 'merge:check-checkout', landed: false, retiredOnRecovery: false },
  { step: 'merge:backup', landed: false, retiredOnRecovery: false },
  { step: 'merge:cas', landed: false, retiredOnRecovery: false },
];

describe('kill -9 of the supervisor before the target moves', () => {
  it.each(CASES)('at $step: the task is back in review, main and its checkout as they were, nothing lost, approvable again', async (c) => {
    await killDuringMerge(ctx, c);
  });
});
