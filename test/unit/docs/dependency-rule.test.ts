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
    'src/adapters/worker/row-stream.ts -> pane',
    'the terminal worker draws the rows of the screens someone watches where it emulates them, so output nobody watches never leaves it',
  ],
  ['src/adapters/worker/emulated-screen.ts -> pane', "the terminal worker renders the scrollback reader's history rows where it emulates the screen"],
  [
    'src/cli/commands/guard.ts -> adapters',
    'the pre-commit hook reads the staged paths of the index git gave it (GIT_INDEX_FILE), which only the hook process sees',
  ],
]);

/**
 * Node built-ins that only compute on strings, allowed in every layer but the core: node:path
 * joins and splits paths without looking at the disk, and node:util's stripVTControlCharacters
 * is a string function. Everything else of node (files, sockets, processes, the clock of the
 * OS, randomness) is I/O and lives in adapters/.
 */
const PURE_BUILTINS = ['node:path', 'node:util'];

/**
 * The packages each layer may import (README, "Dependency rule"); adapters may import any
 * package and any node built-in: they are where the OS and libraries are touched.
 */
const PACKAGES: Record<string, string[]> = {
  core: [],
  protocol: ['zod'],
  keymap: [],
  // The headless emulator's buffer is the pane's input: rendering rows of it is pure.
  pane: ['@xterm/headless'],
  paths: [],
  config: ['zod', 'yaml'],
  docs: ['zod'],
  supervisor: [],
  client: [],
  mcp: ['@modelcontextprotocol/sdk', 'zod'],
  cli: ['commander'],
  // Ink's own tokenizer: components/tui/ink-styled-chars.ts replaces Ink's use of it with a cached one.
  components: ['ink', 'react', '@alcalzone/ansi-tokenize'],
};

/**
 * The files outside adapters/ that do I/O themselves, each with why. They are the client
 * side's own edge: the CLI and the cockpit may not load adapters (the rule above), and
 * these run before any supervisor exists or to reach one.
 */
const IO_EXCEPTIONS: Record<string, { modules: string[]; why: string }> = {
  'src/paths/repo.ts': {
    modules: ['node:fs', 'node:module', 'node:child_process'],
    why: 'finds the repository by reading .git as git does (every CLI call, before any supervisor), asking git only for unusual layouts',
  },
  'src/paths/muster-paths.ts': {
    modules: ['node:fs', 'node:module', 'node:crypto', 'node:os'],
    why: 'the socket directory is created owner-only by whoever comes first, client or supervisor; a long path is shortened by a hash under the runtime dir',
  },
  'src/paths/package-root.ts': { modules: ['node:fs', 'node:url'], why: "finds muster's own install (its package.json) to run itself again" },
  'src/paths/home-dir.ts': { modules: ['node:module', 'node:os'], why: "the user's home (the fleet file, a remote `~`), with node:os loaded on first use" },
  'src/config/load.ts': { modules: ['node:fs'], why: 'reads config.yaml, for the supervisor and for `muster init` and the CLI alike' },
  'src/config/fleet.ts': { modules: ['node:fs', 'node:os'], why: "reads the fleet file in the user's home, on the client side only" },
  'src/config/default-file.ts': { modules: ['node:fs'], why: '`muster init` looks at the repository (package.json, PATH) to fill in the template' },
  'src/client/client.ts': { modules: ['node:net', 'node:stream'], why: "the client is the clients' transport to the supervisor: it opens the Unix socket" },
  'src/client/connect.ts': {
    modules: ['node:fs', 'node:module', 'node:child_process'],
    why: "starts the supervisor when none answers (spawn, its log file, the starter's lock)",
  },
  'src/client/ssh-transport.ts': {
    modules: ['node:module', 'node:child_process', 'node:stream', 'node:fs'],
    why: 'reaches a remote supervisor through OpenSSH, as the client',
  },
  'src/client/proxy-bridge.ts': {
    modules: ['node:net', 'node:stream'],
    why: '`muster proxy`: the remote end of the ssh transport, piping stdio to the socket',
  },
  'src/client/owner-pid.ts': { modules: ['node:fs'], why: "reads /proc to name the operator's process the supervisor sees as caller" },
  'src/cli/args.ts': { modules: ['node:fs'], why: "reads a prompt given as @file, in the user's process, with its size checked first" },
  'src/cli/commands/context.ts': { modules: ['node:fs'], why: '`muster context import` reads the file the user names' },
  'src/cli/commands/init.ts': { modules: ['node:fs'], why: '`muster init` writes config.yaml before any supervisor can start' },
  'src/cli/fleet-cockpit.ts': { modules: ['node:fs'], why: 'whether a fleet file exists decides what the cockpit connects to' },
};

/** A module specifier as the rule names it: a package without its subpath, a node built-in without its own. */
function moduleName(spec: string): string {
  if (spec.startsWith('node:')) return spec.split('/')[0]!;
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Every node built-in and package a file names: imports, dynamic imports, require and createRequire calls, type imports too. */
function externalImports(text: string): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'([^.'][^']*)'/g)) found.add(moduleName(m[1]!));
  for (const m of text.matchAll(/\(\s*'(node:[^']+)'/g)) found.add(moduleName(m[1]!));
  return found;
}

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
      [...externalImports(readFileSync(file, 'utf8'))].map((m) => `${relative(ROOT, file)}: ${m}`),
    );
    expect(impure).toEqual([]);
  });

  it('lets only adapters touch the OS and libraries, but for the pure built-ins, the packages each layer is allowed and the named exceptions', () => {
    const broken: string[] = [];
    const used = new Map<string, Set<string>>();
    for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'components'))]) {
      const from = layerOf(file);
      if (from === 'adapters') continue;
      const rel = relative(ROOT, file);
      for (const mod of externalImports(readFileSync(file, 'utf8'))) {
        if (from !== 'core' && PURE_BUILTINS.includes(mod)) continue;
        if (PACKAGES[from]?.includes(mod)) continue;
        if (IO_EXCEPTIONS[rel]?.modules.includes(mod)) {
          used.set(rel, (used.get(rel) ?? new Set()).add(mod));
          continue;
        }
        broken.push(`${rel}: ${mod}`);
      }
    }
    expect(broken).toEqual([]);
    const unneeded = Object.entries(IO_EXCEPTIONS).flatMap(([file, e]) => e.modules.filter((m) => !used.get(file)?.has(m)).map((m) => `${file}: ${m}`));
    expect(unneeded, 'exceptions no longer needed').toEqual([]);
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
