import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { applyOverrides, DEFAULT_BINDINGS } from '../keymap/index.js';
import { agentPresets, configSchema, type MusterConfig } from './schema.js';

/** One thing wrong with the config file, located. */
export interface ConfigProblem {
  file: string;
  line: number | null;
  path: string;
  expected: string;
  received: string;
}

/** A config that cannot be used; nothing starts with it. Maps to exit code 2. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const key = p.path ? ` ${p.path}:` : '';
  const received = p.received ? `, received ${p.received}` : '';
  return `${where}${key} expected ${p.expected}${received}`;
}

/** Reads `.muster/config.yaml`; a missing file means every default. */
export function loadConfig(file: string, displayRoot?: string): MusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return configSchema.parse({});
    throw e;
  }
  return parseConfig(text, displayRoot ? relative(displayRoot, file) : file);
}

export function parseConfig(text: string, displayName: string): MusterConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((err) => ({
        file: displayName,
        line: lineCounter.linePos(err.pos[0]).line,
        path: '',
        expected: 'valid YAML',
        received: `${err.code.toLowerCase().replace(/_/g, ' ')} (${firstLine(err.message)})`,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, doc, lineCounter, displayName, raw)));
  }
  const config = parsed.data;
  const agents = agentPresets(config);
  if (!agents[config.default_agent]) {
    throw new ConfigError([
      {
        file: displayName,
        line: lineOf(doc, lineCounter, ['default_agent']),
        path: 'default_agent',
        expected: `one of the configured agents (${Object.keys(agents).join(', ')})`,
        received: JSON.stringify(config.default_agent),
      },
    ]);
  }
  const keys = applyOverrides(DEFAULT_BINDINGS, config.keys);
  if (!keys.ok) {
    throw new ConfigError(
      keys.problems.map((problem) => {
        const m = /^keys\.([^:]+): (.*)$/.exec(problem);
        const key = m?.[1] ?? '';
        return {
          file: displayName,
          line: lineOf(doc, lineCounter, key ? ['keys', key] : ['keys']),
          path: key ? `keys.${key}` : 'keys',
          expected: (m?.[2] ?? problem).replace(/^expected /, ''),
          received: '',
        };
      }),
    );
  }
  for (const [i, pattern] of Object.values(config.agents)
    .flatMap((a) => a.waiting_patterns)
    .entries()) {
    try {
      new RegExp(pattern);
    } catch {
      throw new ConfigError([
        { file: displayName, line: null, path: `agents.*.waiting_patterns[${i}]`, expected: 'a valid regular expression', received: JSON.stringify(pattern) },
      ]);
    }
  }
  return config;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter, file: string, raw: unknown): ConfigProblem {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const full = [...path, key];
    return {
      file,
      line: lineOf(doc, lc, full),
      path: dotted(full),
      expected: `no key "${key}" here${knownKeys(path)}`,
      received: 'an unknown key',
    };
  }
  if (issue.code === 'invalid_key') {
    // A map's key is wrong (a host named "local"): the key is what was received, and the inner issue says why.
    const key = path.at(-1);
    return {
      file,
      line: keyLine(doc, lc, path) ?? lineOf(doc, lc, path),
      path: dotted(path.slice(0, -1)),
      expected: issue.issues[0]?.message ?? issue.message,
      received: JSON.stringify(key),
    };
  }
  const value = valueAt(raw, path);
  return {
    file,
    line: lineOf(doc, lc, path),
    path: dotted(path),
    expected: issue.message,
    received: value === undefined ? 'nothing' : JSON.stringify(value),
  };
}

function knownKeys(path: (string | number)[]): string {
  let schema: unknown = configSchema;
  for (const p of path) {
    const shape = shapeOf(schema);
    const values = valuesOf(schema);
    if (values) schema = values;
    else if (!shape || typeof p !== 'string') return '';
    else schema = shape[p];
  }
  const shape = shapeOf(schema);
  return shape ? ` (known keys: ${Object.keys(shape).join(', ')})` : '';
}

/** The value schema of a map (`hosts.<name>`), through defaults. */
function valuesOf(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; valueType?: unknown } } | undefined;
  for (let i = 0; i < 5 && s; i++) {
    if (s.def?.type === 'record') return s.def.valueType;
    s = s.def?.innerType as typeof s;
  }
  return undefined;
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 5 && s; i++) {
    if (s.shape) return s.shape;
    s = s.def?.innerType as typeof s;
  }
  return undefined;
}

/** The value at a path of a parsed document, or undefined where the document has none. */
export function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** A path as messages show it: `agents.claude.args[2]`. */
export function dotted(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The line of the last key of `path` itself (its value may start on the next line). */
function keyLine(doc: Document, lc: LineCounter, path: (string | number)[]): number | null {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return null;
  const pair = parent.items.find((i) => isScalar(i.key) && i.key.value === path.at(-1));
  return isScalar(pair?.key) && pair.key.range ? lc.linePos(pair.key.range[0]).line : null;
}

/** The line of the deepest node on `path` that the document has. */
export function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return null;
}
