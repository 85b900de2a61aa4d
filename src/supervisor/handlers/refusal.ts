import type { Result } from '../../core/result.js';
import { MusterError } from '../../protocol/errors.js';

/** Unwraps a core result, turning a refusal into the error the client shows. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new MusterError(r.error.kind, r.error.message);
}
