import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { formatRemoteTarget, parseRemoteTarget, parseRepoSpec, type RepoSpec } from '../core/remote-target.js';
import { ok, refuse, type Result } from '../core/result.js';
import { applyOverrides, DEFAULT_BINDINGS } from '../keymap/index.js';
import { ConfigError, dotted, lineOf, valueAt, type ConfigProblem } from './load.js';

const text = (what: string) => z.string({ error: what }).min(1, { error: what });

const repoEntrySchema = z.union(
  [
    text('a directory or host:path'),
    z
      .object({
        path: text('a directory (on host, if given)'),
        host: text('an ssh host, [user@]host').optional(),
        name: text('a short name').optional(),
        remote_command: text('a shell command that runs muster on the host').optional(),
      })
      .strict(),
  ],
  { error: 'a directory, host:path, or { path, host?, name?, remote_command? }' },
);

/** `~/.config/muster/fleet.yaml`: the repositories one cockpit shows side by side. */
export const fleetSchema = z
  .object({
    repositories: z.array(repoEntrySchema, { error: 'a list of repositories' }).min(1, { error: 'at least one repository' }),
    keys: z.record(z.string(), z.string({ error: 'a key name such as "ctrl+b"' }), { error: 'a map of binding id to key' }).default({}),
  })
  .strict();

/** One repository of the fleet, resolved: where it is, what the header calls it. */
export interface FleetRepo {
  name: string;
  spec: RepoSpec;
  /** How muster is run on its host (remote only); null: MUSTER_REMOTE_COMMAND or `muster`. */
  remoteCommand: string | null;
}

export interface Fleet {
  file: string;
  repos: FleetRepo[];
  /** Key map overrides for a cockpit of several or remote repositories. */
  keys: Record<string, string>;
}

/** `~` and `~/…` as the shell would expand them; relative paths from `base`. */
export function localPath(path: string, base: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return resolve(base, path);
}

/** The name the header shows: the directory's name, with the host for a remote one. */
export function defaultName(spec: RepoSpec): string {
  if (spec.kind === 'local') return basename(spec.path) || spec.path;
  const dir = spec.target.path === null ? '~' : basename(spec.target.path.replace(/\/+$/, '')) || spec.target.path;
  return `${spec.target.host.replace(/^[^@]*@/, '')}:${dir}`;
}

/** Reads the fleet file; null when there is none. A bad one is refused with file:line. */
export function loadFleet(file: string): Fleet | null {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseFleet(source, file);
}

export function parseFleet(source: string, file: string): Fleet {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
  const problem = (path: (string | number)[], expected: string, received: string): ConfigProblem => ({
    file,
    line: lineOf(doc, lc, path),
    path: dotted(path),
    expected,
    received,
  });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file, line: lc.linePos(e.pos[0]).line, path: '', expected: 'valid YAML', received: e.code.toLowerCase().replace(/_/g, ' ') })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = fleetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        if (issue.code === 'unrecognized_keys') return problem([...path, issue.keys[0] ?? ''], `no key "${issue.keys[0]}" here`, 'an unknown key');
        const value = valueAt(raw, path);
        return problem(path, issue.message, value === undefined ? 'nothing' : JSON.stringify(value));
      }),
    );
  }
  const base = dirname(file);
  const problems: ConfigProblem[] = [];
  const repos: FleetRepo[] = [];
  parsed.data.repositories.forEach((entry, i) => {
    const where = typeof entry === 'string' ? ['repositories', i] : ['repositories', i, entry.host ? 'host' : 'path'];
    const spec = typeof entry === 'string' ? parseRepoSpec(entry) : entrySpec(entry);
    if (!spec.ok) {
      const expected = spec.error.message.replace(/\.$/, '').replace(/^"(?:[^"\\]|\\.)*": (?:expected )?/, '');
      problems.push(problem(where, expected, JSON.stringify(typeof entry === 'string' ? entry : (entry.host ?? entry.path))));
      return;
    }
    const resolved: RepoSpec = spec.value.kind === 'local' ? { kind: 'local', path: localPath(spec.value.path, base) } : spec.value;
    const named = typeof entry === 'string' ? undefined : entry.name;
    const remoteCommand = typeof entry === 'string' ? null : (entry.remote_command ?? null);
    if (remoteCommand && resolved.kind === 'local')
      problems.push(problem(['repositories', i, 'remote_command'], 'remote_command only with host', JSON.stringify(remoteCommand)));
    repos.push({ name: named ?? defaultName(resolved), spec: resolved, remoteCommand });
  });
  const seen = new Map<string, number>();
  repos.forEach((r, i) => {
    const first = seen.get(r.name);
    if (first !== undefined)
      problems.push(
        problem(['repositories', i], `a name of its own (repository ${first + 1} is also called "${r.name}"; add name: …)`, JSON.stringify(r.name)),
      );
    seen.set(r.name, i);
  });
  const keys = applyOverrides(DEFAULT_BINDINGS, parsed.data.keys);
  if (!keys.ok) {
    for (const p of keys.problems) {
      const m = /^keys\.([^:]+): (?:expected )?(.*)$/.exec(p);
      problems.push(problem(m ? ['keys', m[1]!] : ['keys'], m?.[2] ?? p, ''));
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { file, repos, keys: parsed.data.keys };
}

/** `{path, host?}`: the host alone is checked as --host checks it; the path is taken as written. */
function entrySpec(entry: { path: string; host?: string | undefined }): Result<RepoSpec> {
  if (!entry.host) return parseRepoSpec(entry.path);
  const t = parseRemoteTarget(entry.host);
  if (!t.ok) return t;
  if (t.value.path !== null) return refuse('bad-input', `"${entry.host}": host names the machine only; the directory goes under path`);
  return ok({ kind: 'remote', target: { host: t.value.host, path: entry.path } });
}

/** The label of a spec, for messages. */
export function describeSpec(spec: RepoSpec): string {
  return spec.kind === 'local' ? spec.path : formatRemoteTarget(spec.target);
}
