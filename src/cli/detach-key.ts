import { applyOverrides, bytesForKey, DEFAULT_BINDINGS, keysFor } from '../keymap/index.js';
import { MusterError } from '../protocol/errors.js';

/** The detach key from `keys:` in the config, checked to be one a raw terminal can send. */
export function detachKeyOf(keys: Record<string, string>): { name: string } {
  const applied = applyOverrides(DEFAULT_BINDINGS, keys);
  if (!applied.ok) throw new MusterError('config', applied.problems.join('\n'));
  const name = keysFor(applied.bindings, 'attach.detach')[0] ?? 'ctrl+]';
  if (!bytesForKey(name)) throw new MusterError('config', `keys.detach: ${name} cannot be told apart in a raw terminal; use a ctrl key such as "ctrl+]"`);
  return { name };
}
