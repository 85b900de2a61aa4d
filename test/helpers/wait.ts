/**
 * Polls `check` until it returns a truthy value or the timeout passes; on timeout the error
 * carries `describe()` (the last screen, the last state) so a failure explains itself.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: { timeout?: number; interval?: number; describe?: () => string | Promise<string>; what?: string } = {},
): Promise<NonNullable<T>> {
  // Generous: CI runs at a load of up to ~24 on 2 cores, and a wait only lasts this long when it fails.
  const timeout = opts.timeout ?? 30_000;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = opts.describe ? await opts.describe() : '';
      throw new Error(
        `Timed out after ${timeout} ms waiting for ${opts.what ?? 'a condition'}${lastError ? ` (last error: ${String(lastError)})` : ''}${detail ? `\n--- last state ---\n${detail}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.interval ?? 25));
  }
}
