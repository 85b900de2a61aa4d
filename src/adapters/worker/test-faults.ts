// Read once: production never sets it, and then every fault point is a set lookup.
const FAULTS = new Set(
  (process.env.MUSTER_TEST_WORKER_FAULT ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * A fault-injection point of the terminal worker for tests: when `MUSTER_TEST_WORKER_FAULT`
 * (a comma-separated list, read when the process starts) names `<point>:<task>` (`view:3`,
 * `summary:3`), it throws there, as a bug in that terminal's code would. Unset, it does nothing.
 */
export function injectedFault(point: 'view' | 'summary', task: number): void {
  if (FAULTS.size && FAULTS.has(`${point}:${task}`)) throw new Error(`injected fault (MUSTER_TEST_WORKER_FAULT) in the ${point} of task #${task}`);
}

/** A fault of one terminal's code, told in the process's log (the worker's is worker.log): the process goes on. */
export function logFault(what: string, e: unknown): void {
  try {
    process.stderr.write(`muster: ${what}: ${(e as Error)?.stack ?? String(e)}\n`);
  } catch {
    // nowhere to tell it
  }
}
