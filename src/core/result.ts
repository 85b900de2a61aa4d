/** Expected outcomes are values; exceptions are bugs. */
export type Result<T, E = Refusal> = { ok: true; value: T } | { ok: false; error: E };

/** Why the core refused a request: `bad-input` maps to exit 2, `conflict` to exit 3. */
export interface Refusal {
  kind: 'bad-input' | 'conflict' | 'not-found' | 'invalid-state';
  message: string;
}

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const refuse = (kind: Refusal['kind'], message: string): Result<never> => ({ ok: false, error: { kind, message } });
