import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** What each layer may import of ours (README, "Dependency rule"). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  protocol: ['core'],
  keymap: ['core'],
  pane: ['core'],
  paths: [],
  config: ['core', 'keymap'],
  docs: ['config', 'keymap'],
  adapters: ['core', 'protocol', 'paths'],
  supervisor: ['core', 'adapters', 'config', 'pane', 'protocol', 'paths', 'keymap'],
  client: ['protocol', 'paths', 'core'],
  mcp: ['client', 'protocol', 'paths', 'core'],
  cli: ['client', 'protocol', 'keymap', 'pane', 'config', 'paths', 'components', 'core', 'mcp'],
  components: ['client', 'protocol', 'keymap', 'pane', 'config', 'paths', 'core'],
};

/** The deliberate exceptions, each with the reason the README gives. */
const EXCEPTIONS = new Map<string, string>([
  ['src/cli/commands/daemon.ts -> supervisor', "`muster daemon` is the supervisor's own entry point, loaded lazily"],
  [
    'src/cli/commands/daemon.ts -> adapters',
    "`muster worker` is the terminal worker's own entry point (it hosts the agents' PTYs beside the supervisor), loaded lazily",
  ],
  [
    'src/adapters/worker/remote-worker.ts -> client',
    'a worker on another host is reached the way --host reaches a supervisor there: through the one ssh transport (connection reuse, errors in words)',
  ],
  [
    'src/cli/commands/guard.ts -> adapters',
    'the pre-commit hook reads the staged paths of the index git gave it (GIT_INDEX_FILE), which only the hook process sees',
  ],
]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

function layerOf(path: string): string {
  const [top, second] = relative(ROOT, path).split('/');
  return top === 'src' ? second! : top!;
}

describe('the dependency rule', () => {
  it('holds for every import in src/ and components/, but for the named exceptions', () => {
    const broken: string[] = [];
    const used = new Set<string>();
    for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'components'))]) {
      const from = layerOf(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\(\s*)'(\.[^']+)'/g)) {
        const to = layerOf(resolve(dirname(file), m[1]!));
        if (to === from || ALLOWED[from]?.includes(to)) continue;
        const key = `${relative(ROOT, file)} -> ${to}`;
        if (EXCEPTIONS.has(key)) used.add(key);
        else broken.push(`${key} (${m[1]})`);
      }
    }
    expect(broken).toEqual([]);
    expect(
      [...EXCEPTIONS.keys()].filter((k) => !used.has(k)),
      'exceptions no longer needed',
    ).toEqual([]);
  });

  it('keeps the core free of node built-ins and packages', () => {
    const impure = files(join(ROOT, 'src', 'core')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\(\s*)'([^.][^']*)'/g)].map((m) => `${relative(ROOT, file)}: ${m[1]}`),
    );
    expect(impure).toEqual([]);
  });

  it('lists as a runtime dependency only packages that shipped code imports (test-only ones are devDependencies)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const shipped = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'components'))].map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(pkg.dependencies).filter(
      (name) => !new RegExp(`(?:from\\s+|import\\(\\s*|require\\(\\s*)'${name.replace(/[/.]/g, '\\$&')}(?:/[^']*)?'`).test(shipped),
    );
    expect(unused).toEqual([]);
  });
});
