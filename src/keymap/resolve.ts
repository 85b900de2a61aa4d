import { KEY_CONTEXTS, MODAL_CONTEXTS, type CommandId, type KeyBinding, type KeyContext } from './bindings.js';
import { displayKey, type KeyName } from './keys.js';

/** A status-line hint: the key to show and its short label. */
export interface KeyHint {
  readonly id: CommandId;
  readonly key: string;
  readonly label: string;
}

/** Two bindings that answer the same key in the same context. */
export interface KeyClash {
  readonly key: KeyName;
  readonly ids: readonly [CommandId, CommandId];
  readonly contexts: readonly KeyContext[];
}

/**
 * The bindings a context hears, in priority order: its own, then (unless it is modal) the
 * global ones.
 */
export function reachableBindings(bindings: readonly KeyBinding[], context: KeyContext): KeyBinding[] {
  const own = bindings.filter((b) => b.contexts.includes(context));
  if (context === 'global' || MODAL_CONTEXTS.has(context)) return own;
  return [...own, ...bindings.filter((b) => b.contexts.includes('global'))];
}

/**
 * The one command a key means in a context, or null. The context's own binding consumes the
 * key before any global one, so one dispatcher routes every key to exactly one handler. In a
 * modal context null means "not a command": text for a form, bytes for an attached agent.
 */
export function resolveKey(bindings: readonly KeyBinding[], context: KeyContext, key: KeyName): CommandId | null {
  return reachableBindings(bindings, context).find((b) => b.keys.includes(key))?.id ?? null;
}

/** The keys bound to a command; empty when it is unbound. */
export function keysFor(bindings: readonly KeyBinding[], id: CommandId): readonly KeyName[] {
  return bindings.find((b) => b.id === id)?.keys ?? [];
}

/**
 * Status-line hints for a context: its own hinted bindings, then the global ones it hears.
 * Each shows the first of its keys that still reaches it there, so a key taken over by the
 * context is never advertised for the global command.
 */
export function hintsFor(bindings: readonly KeyBinding[], context: KeyContext): KeyHint[] {
  const hints: KeyHint[] = [];
  for (const binding of reachableBindings(bindings, context)) {
    if (binding.hint === undefined) continue;
    const key = binding.keys.find((k) => resolveKey(bindings, context, k) === binding.id);
    if (key !== undefined) hints.push({ id: binding.id, key: displayKey(key), label: binding.hint });
  }
  return hints;
}

const shadows = (a: KeyBinding, b: KeyBinding): boolean => (a.shadows ?? []).includes(b.id) || (b.shadows ?? []).includes(a.id);

/**
 * Every pair of bindings that share a key somewhere both are heard, except a context binding
 * that declares it `shadows` the global one.
 */
export function findClashes(bindings: readonly KeyBinding[]): KeyClash[] {
  const found = new Map<string, { key: KeyName; ids: [CommandId, CommandId]; contexts: KeyContext[] }>();
  for (const context of KEY_CONTEXTS) {
    const heard = reachableBindings(bindings, context);
    heard.forEach((a, i) => {
      for (const b of heard.slice(i + 1)) {
        if (a.id === b.id || shadows(a, b)) continue;
        for (const key of a.keys.filter((k) => b.keys.includes(k))) {
          const label = `${a.id} ${b.id} ${key}`;
          const clash = found.get(label) ?? { key, ids: [a.id, b.id], contexts: [] };
          clash.contexts.push(context);
          found.set(label, clash);
        }
      }
    });
  }
  return [...found.values()];
}
