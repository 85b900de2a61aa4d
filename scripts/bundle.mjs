// Bundles muster with esbuild. The CLI is one file holding only what its commands need, so
// `muster task add` parses ~120 KB instead of every dependency; the supervisor, the TUI and
// the rarely used parts are a second, code-split bundle loaded by dynamic import when needed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

/** Modules the CLI imports lazily, and the names they get in the lazy bundle. */
const LAZY = {
  'supervisor/daemon.js': 'daemon',
  'components/tui/run.js': 'tui',
  'components/tui/attach-mode.js': 'attach-mode',
  'config/load.js': 'config-load',
  'config/fleet.js': 'fleet',
  'config/default-file.js': 'default-file',
  'adapters/git/commit-guard.js': 'commit-guard',
  'keymap/index.js': 'keymap',
  'cli/detach-key.js': 'detach-key',
  'mcp/server.js': 'mcp',
  'adapters/worker/pty-host.js': 'worker',
  'adapters/worker/stdio-bridge.js': 'worker-stdio',
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // MUSTER_BUNDLE_MINIFY=0 keeps names readable in CPU profiles (bench --profile).
  minify: process.env.MUSTER_BUNDLE_MINIFY !== '0',
  sourcemap: true,
  legalComments: 'none',
  // Native or CommonJS packages loaded through createRequire stay in node_modules.
  external: ['node-pty', '@xterm/*', 'react-devtools-core'],
  banner: { js: "import{createRequire as __muster_cr}from'node:module';const require=__muster_cr(import.meta.url);" },
  format: 'esm',
  logLevel: 'warning',
};

/**
 * Ink's output buffer gets its styled characters from components/tui/ink-styled-chars.ts: the
 * same functions, made cheap for a full-screen frame (a view switch draws 200×50 cells through them).
 */
let inkStyledCharsApplied = false;
const inkStyledChars = {
  name: 'ink-styled-chars',
  setup(b) {
    b.onResolve({ filter: /^@alcalzone\/ansi-tokenize$/ }, (args) => {
      if (!/[\\/]ink[\\/]build[\\/]output\.js$/.test(args.importer)) return undefined;
      inkStyledCharsApplied = true;
      return { path: resolve('dist/components/tui/ink-styled-chars.js') };
    });
  },
};

const out = 'dist/bundle.next';
rmSync(out, { recursive: true, force: true });

// The CLI is CommonJS so that scripts/cli-loader.cjs can run it with a V8 code cache; its
// lazy parts stay ES modules, imported through the loader.
await build({
  ...common,
  format: 'cjs',
  // The file is one function expression, compiled as it is by scripts/cli-loader.cjs: a wrapper
  // added at load time made V8 flatten a second copy of the whole source on every run.
  banner: {
    js: "(function (exports, require, module, __filename, __dirname, __muster_import) {const __muster_url=require('node:url').pathToFileURL(__filename).href;",
  },
  footer: { js: '})' },
  define: { 'import.meta.url': '__muster_url' },
  entryPoints: { main: 'dist/src/cli/main.js' },
  outdir: out,
  outExtension: { '.js': '.cjs' },
  plugins: [
    {
      // commander requires node:child_process for subcommands run as separate executables,
      // which muster has none of; loading it (and the net, dgram and stream internals behind it)
      // cost every command ~10 ms.
      name: 'commander-spawn-on-use',
      setup(b) {
        b.onResolve({ filter: /^node:child_process$/ }, (args) =>
          /[\\/]commander[\\/]/.test(args.importer) ? { path: 'spawn-on-use', namespace: 'commander-spawn' } : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'commander-spawn' }, () => ({
          contents: "module.exports = { spawn: (...a) => require('node:child_process').spawn(...a) };",
          loader: 'js',
        }));
      },
    },
    {
      name: 'lazy-parts',
      setup(b) {
        b.onResolve({ filter: /\.js$/ }, (args) => {
          if (args.kind !== 'dynamic-import') return undefined;
          const abs = resolve(args.resolveDir, args.path);
          const hit = Object.entries(LAZY).find(([suffix]) => abs === resolve(suffix.startsWith('components/') ? 'dist' : 'dist/src', suffix));
          if (!hit) throw new Error(`${args.path} is imported lazily by ${args.importer} but is not one of the lazy parts in scripts/bundle.mjs`);
          return { path: `./lazy/${hit[1]}.js`, external: true };
        });
      },
    },
  ],
});
const main = `${out}/main.cjs`;
const code = readFileSync(main, 'utf8');
const lazyImports = code.split('import("./lazy/').length - 1;
if (!lazyImports) throw new Error('no lazy import found in the CLI bundle: the loader rewrite below would be wrong');
writeFileSync(main, code.replaceAll('import("./lazy/', '__muster_import("./lazy/'));
if (/\bimport\(/.test(readFileSync(main, 'utf8'))) throw new Error('the CLI bundle has a dynamic import the loader does not handle');
// One character outside ASCII (esbuild escapes them in strings, not in regular expressions)
// makes V8 keep the whole source as two-byte text, twice the bytes for every command to read
// and hash, and the loader reads the file as latin1 to skip decoding UTF-8. An unminified
// build keeps the comments, whose characters may be anything.
const nonAscii = common.minify && /[^\x00-\x7f]/.exec(readFileSync(main, 'utf8'));
if (nonAscii) {
  throw new Error(`the CLI bundle has a character outside ASCII (${JSON.stringify(nonAscii[0])}): write it as a \\u escape in the source it came from`);
}
copyFileSync('scripts/cli-loader.cjs', `${out}/load.cjs`);

await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(LAZY).map(([src, name]) => [name, `dist/${src.startsWith('components/') ? '' : 'src/'}${src}`])),
  outdir: `${out}/lazy`,
  splitting: true,
  // React and its reconciler pick their build by NODE_ENV at run time, and an operator's shell
  // rarely sets it: without this the cockpit ran React's development build, several times
  // slower per frame (switching to a view of 100 tasks took 0.3–1.2 s).
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [inkStyledChars],
});
if (!inkStyledCharsApplied) throw new Error('ink/build/output.js no longer imports @alcalzone/ansi-tokenize: see components/tui/ink-styled-chars.ts');

// Swapped in whole, so a command started during a build never sees half a bundle.
rmSync('dist/bundle.old', { recursive: true, force: true });
try {
  renameSync('dist/bundle', 'dist/bundle.old');
} catch {
  // first build
}
renameSync(out, 'dist/bundle');
rmSync('dist/bundle.old', { recursive: true, force: true });
// The first run writes the code cache, so the first command of a user or a test is fast too.
execFileSync(process.execPath, ['dist/bundle/load.cjs', '--version'], { stdio: 'ignore' });
