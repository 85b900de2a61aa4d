import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MusterPaths } from '../../paths/muster-paths.js';

// Read once: production never sets it, and then every pause point is a set lookup.
const PAUSES = new Set(
  (process.env.MUSTER_TEST_PAUSE_AT ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Where the supervisor says it stopped at `step`, for the fault suite to wait on. */
export function pauseMarker(stateDir: string, step: string): string {
  return join(stateDir, 'test-pauses', step.replace(/[^\w.-]/g, '_'));
}

/**
 * A fault-injection point of the fault suite (`test/integration/faults/`): when
 * `MUSTER_TEST_PAUSE_AT` names `step` (a comma-separated list), the supervisor writes
 * `pauseMarker(stateDir, step)` with its pid and waits there until the test deletes the
 * marker (it goes on from there) or kills it at exactly that point. Unset, it returns at
 * once and changes nothing.
 */
export async function pauseAt(sup: { readonly ctx: { readonly paths: MusterPaths } }, step: string): Promise<void> {
  if (!PAUSES.has(step)) return;
  const marker = pauseMarker(sup.ctx.paths.stateDir, step);
  mkdirSync(join(marker, '..'), { recursive: true });
  writeFileSync(marker, JSON.stringify({ pid: process.pid, step }));
  // Unref'd: a paused supervisor that is otherwise done still exits, as one waiting for ever would.
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(marker)) return;
      clearInterval(poll);
      resolve();
    }, 50);
    poll.unref();
  });
}
