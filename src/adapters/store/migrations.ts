/** Turns a store of version `from` into version `from + 1`. */
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * The migration chain: entry `n` upgrades version `n` to `n + 1`. Version 1 is the first
 * released schema, so the chain starts empty; tests exercise it with their own chains.
 */
export const MIGRATIONS: Record<number, Migration> = {};

export type MigrationOutcome =
  | { kind: 'current'; data: Record<string, unknown> }
  | { kind: 'migrated'; from: number; data: Record<string, unknown> }
  | { kind: 'newer'; version: number }
  | { kind: 'unknown-version'; version: unknown }
  | { kind: 'no-path'; from: number };

export function migrate(data: Record<string, unknown>, current: number, chain: Record<number, Migration> = MIGRATIONS): MigrationOutcome {
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return { kind: 'unknown-version', version };
  if (version > current) return { kind: 'newer', version };
  if (version === current) return { kind: 'current', data };
  let out = data;
  for (let v = version; v < current; v++) {
    const step = chain[v];
    if (!step) return { kind: 'no-path', from: v };
    out = { ...step(out), version: v + 1 };
  }
  return { kind: 'migrated', from: version, data: out };
}
