import type { z } from 'zod';
import { configSchema } from '../config/schema.js';

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

type AnySchema = z.ZodType & { def: Record<string, unknown>; description?: string; shape?: Record<string, AnySchema> };

/** Peels default/prefault/optional wrappers, keeping the outermost default and description. */
function unwrap(schema: AnySchema): { inner: AnySchema; def: unknown; description: string | undefined } {
  let s = schema;
  let def: unknown;
  let description = schema.description;
  for (;;) {
    const type = s.def.type as string;
    if (type === 'default' || type === 'prefault') {
      if (def === undefined) def = typeof s.def.defaultValue === 'function' ? (s.def.defaultValue as () => unknown)() : s.def.defaultValue;
    } else if (type !== 'optional') break;
    s = s.def.innerType as AnySchema;
    description ??= s.description;
  }
  return { inner: s, def, description };
}

function typeName(s: AnySchema): string {
  const type = s.def.type as string;
  switch (type) {
    case 'array':
      return `list of ${typeName(unwrap(s.def.element as AnySchema).inner)}`;
    case 'record':
      return `map of ${typeName(unwrap(s.def.valueType as AnySchema).inner)}`;
    case 'enum':
      return Object.values(s.def.entries as Record<string, string>).join(' \\| ');
    case 'object':
      return 'object';
    case 'union':
      return (s.def.options as AnySchema[]).map((o) => typeName(unwrap(o).inner)).join(' \\| ');
    case 'literal':
      return (s.def.values as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
    default:
      return type;
  }
}

function rows(schema: AnySchema, prefix: string): Row[] {
  const out: Row[] = [];
  for (const [name, child] of Object.entries(schema.shape ?? {})) {
    const { inner, def, description } = unwrap(child);
    const key = prefix ? `${prefix}.${name}` : name;
    if (inner.def.type === 'object' && inner.shape) {
      out.push(...rows(inner, key));
      continue;
    }
    if (inner.def.type === 'array' && unwrap(inner.def.element as AnySchema).inner.def.type === 'object') {
      const element = unwrap(inner.def.element as AnySchema).inner;
      out.push({ key, type: 'list', default: JSON.stringify(def ?? []), description: description ?? '' });
      out.push(...rows(element, `${key}[]`));
      continue;
    }
    if (inner.def.type === 'record' && unwrap(inner.def.valueType as AnySchema).inner.def.type === 'object') {
      out.push({ key, type: 'map', default: def === undefined ? '—' : `\`${JSON.stringify(def)}\``, description: description ?? '' });
      out.push(...rows(unwrap(inner.def.valueType as AnySchema).inner, `${key}.<name>`));
      continue;
    }
    out.push({ key, type: typeName(inner), default: def === undefined ? '—' : `\`${JSON.stringify(def)}\``, description: description ?? '' });
  }
  return out;
}

/** The README's configuration table, generated from the zod schema so it cannot drift. */
export function configTable(): string {
  const body = rows(configSchema as unknown as AnySchema, '')
    .map((r) => `| \`${r.key}\` | ${r.type} | ${r.default} | ${r.description} |`)
    .join('\n');
  return `| key | type | default | meaning |\n| --- | --- | --- | --- |\n${body}`;
}
