import { CONTEXT_LABELS, ID_ALIASES, MODAL_CONTEXTS, type CommandId, type KeyBinding, type KeyContext } from './bindings.js';
import { parseKeySpec, type KeyName } from './keys.js';
import { bytesForKey } from './bytes.js';
import { findClashes } from './resolve.js';

/** The key map after config overrides, or every problem found in them. */
export type OverrideResult = { ok: true; bindings: readonly KeyBinding[] } | { ok: false; problems: string[] };

const UNBOUND = 'none';

type IdLookup = { ok: true; id: CommandId } | { ok: false; problem: string };

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

function lookupId(bindings: readonly KeyBinding[], name: string): IdLookup {
  const exact = bindings.find((b) => b.id === name);
  if (exact) return { ok: true, id: exact.id };
  const alias = ID_ALIASES[name];
  if (alias !== undefined && bindings.some((b) => b.id === alias)) return { ok: true, id: alias };
  const bySegment = bindings.filter((b) => b.id.slice(b.id.lastIndexOf('.') + 1) === name);
  const [only] = bySegment;
  if (only !== undefined && bySegment.length === 1) return { ok: true, id: only.id };
  if (bySegment.length > 1) {
    return { ok: false, problem: `keys.${name}: ambiguous; write one of ${bySegment.map((b) => b.id).join(', ')}` };
  }
  const known = [...Object.keys(ID_ALIASES), ...bindings.map((b) => b.id)];
  const near = known.filter((id) => editDistance(id, name) <= 2 || id.endsWith(`.${name}`));
  const guess = near.length > 0 ? `did you mean ${near.join(' or ')}? ` : '';
  return { ok: false, problem: `keys.${name}: no such action; ${guess}expected one of ${known.join(', ')}` };
}

function parseKeyList(name: string, spec: string): { ok: true; keys: KeyName[] } | { ok: false; problem: string } {
  if (spec.trim().toLowerCase() === UNBOUND) return { ok: true, keys: [] };
  const keys: KeyName[] = [];
  // Several keys are written space-separated ("up k"); a lone " " is the space bar.
  const words =
    spec === ' '
      ? [' ']
      : spec
          .trim()
          .replace(/\s*([+-])\s*(?=\S)/g, '$1')
          .split(/\s+/);
  for (const word of words) {
    const parsed = parseKeySpec(word);
    if (!parsed.ok) return { ok: false, problem: `keys.${name}: ${parsed.message}` };
    if (!keys.includes(parsed.key)) keys.push(parsed.key);
  }
  return { ok: true, keys };
}

// Attach passes every other key to the agent, so the detach key must be one raw byte that
// can be found inside any chunk and that agents rarely want: a ctrl key.
function detachProblem(name: string, spec: string, keys: readonly KeyName[]): string | null {
  const usable =
    keys.length > 0 &&
    keys.every((k) => {
      const bytes = bytesForKey(k);
      return k.startsWith('ctrl+') && bytes !== null && bytes.length === 1;
    });
  if (usable) return null;
  return (
    `keys.${name}: expected a ctrl key that agents rarely use, such as ctrl+] or ctrl+\\ ` + `(every other key goes to the attached agent); received "${spec}"`
  );
}

// A modal context hears no global key, so one left with no key at all can never be left.
function trapProblems(before: readonly KeyBinding[], after: readonly KeyBinding[], replaced: ReadonlyMap<CommandId, { name: string }>): string[] {
  const bound = (bindings: readonly KeyBinding[], context: KeyContext): boolean => bindings.some((b) => b.contexts.includes(context) && b.keys.length > 0);
  return [...MODAL_CONTEXTS]
    .filter((context) => bound(before, context) && !bound(after, context))
    .map((context) => {
      const names = after.filter((b) => b.contexts.includes(context) && replaced.has(b.id)).map((b) => `keys.${replaced.get(b.id)?.name ?? b.id}`);
      return `${names.join(', ')}: would leave the ${CONTEXT_LABELS[context]} with no key to answer ` + 'or leave it; keep one bound';
    });
}

/**
 * Applies the config's `keys:` map (binding id, its last segment when unambiguous, or
 * `detach`, to one key or several space-separated ones, or "none" to unbind) to a key map.
 * Unknown ids, unreadable keys, keys that would make two commands share a key, a detach key
 * that is not a ctrl key and a dialog left with no key are all reported at once, each naming
 * the config key path and what it expected.
 */
export function applyOverrides(bindings: readonly KeyBinding[], overrides: Readonly<Record<string, string>>): OverrideResult {
  const problems: string[] = [];
  const replaced = new Map<CommandId, { name: string; keys: KeyName[] }>();
  for (const [name, spec] of Object.entries(overrides)) {
    const id = lookupId(bindings, name);
    if (!id.ok) {
      problems.push(id.problem);
      continue;
    }
    const earlier = replaced.get(id.id);
    if (earlier !== undefined) {
      problems.push(`keys.${name}: sets ${id.id} again, as keys.${earlier.name} does; keep one`);
      continue;
    }
    const keys = parseKeyList(name, spec);
    if (!keys.ok) {
      problems.push(keys.problem);
      continue;
    }
    const detach = id.id === 'attach.detach' ? detachProblem(name, spec, keys.keys) : null;
    if (detach !== null) {
      problems.push(detach);
      continue;
    }
    replaced.set(id.id, { name, keys: keys.keys });
  }
  const result = bindings.map((b) => {
    const override = replaced.get(b.id);
    return override === undefined ? b : Object.freeze({ ...b, keys: Object.freeze(override.keys) });
  });
  problems.push(...trapProblems(bindings, result, replaced));
  for (const clash of findClashes(result)) {
    const [first, second] = clash.ids;
    const [mine, theirs] = replaced.has(second) && !replaced.has(first) ? [second, first] : [first, second];
    const where = clash.contexts.includes('global') ? 'every view' : `the ${clash.contexts.map((c) => CONTEXT_LABELS[c]).join(', ')}`;
    const other = result.find((b) => b.id === theirs);
    problems.push(
      `keys.${replaced.get(mine)?.name ?? mine}: ${clash.key} is also ${theirs} (${other?.description ?? ''}) ` +
        `in ${where}; choose another key or rebind ${theirs} too`,
    );
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, bindings: Object.freeze(result) };
}
