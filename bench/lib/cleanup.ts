/**
 * Undo steps of one benchmark (kill its tmux servers, stop its supervisors, remove its temp
 * dirs), run last-in first-out whether the benchmark finished or failed. Every live Cleanup
 * also runs when the process is interrupted.
 */
export class Cleanup {
  private static readonly live = new Set<Cleanup>();
  private steps: { what: string; fn: () => unknown }[] = [];

  constructor() {
    Cleanup.live.add(this);
  }

  defer(what: string, fn: () => unknown): void {
    this.steps.push({ what, fn });
  }

  async run(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const s of steps) {
      const t0 = Date.now();
      try {
        await s.fn();
      } catch (e) {
        process.stderr.write(`bench: cleanup "${s.what}" failed: ${(e as Error).message}\n`);
      }
      const took = Date.now() - t0;
      if (took > 2000) process.stderr.write(`bench: cleanup "${s.what}" took ${(took / 1000).toFixed(1)} s\n`);
    }
    Cleanup.live.delete(this);
  }

  /** Runs every live Cleanup (on SIGINT/SIGTERM). */
  static async runAll(): Promise<void> {
    for (const c of [...Cleanup.live]) await c.run();
  }
}

/** Runs `fn` with a fresh Cleanup that runs afterwards, even when `fn` throws. */
export async function withCleanup<T>(fn: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  try {
    return await fn(cleanup);
  } finally {
    await cleanup.run();
  }
}
