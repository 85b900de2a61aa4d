import { parseRemoteTarget as parse, type RemoteTarget } from '../core/remote-target.js';
import { MusterError } from '../protocol/errors.js';

export { formatRemoteTarget, type RemoteTarget } from '../core/remote-target.js';

/** `--host [user@]host[:path]`, or a bad-input error that says what was expected. */
export function parseRemoteTarget(spec: string, what = '--host'): RemoteTarget {
  const r = parse(spec);
  if (!r.ok) throw new MusterError('bad-input', `${what} ${r.error.message}`);
  return r.value;
}
