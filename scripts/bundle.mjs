// Bundles muster with esbuild. The CLI is one file holding only what its commands need, so
// `muster task add` parses ~120 KB instead of every dependency; the supervisor, the TUI and
// the rarely used parts are a second, code-split bundle loaded by dynamic import when needed.
import { renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

/** Modules the CLI imports lazily, and the names they get in the lazy bundle. */
const LAZY = {
  'supervisor/daemon.js': 'daemon',
  'components/tui/run.js': 'tui',
  'config/load.js': 'config-load',
  'config/default-file.js': 'default-file',
  'adapters/git/commit-guard.js': 'commit-guard',
  'keymap/index.js': 'keymap',
  'cli/detach-key.js': 'detach-key',
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  // Native or CommonJS packages loaded through createRequire stay in node_modules.
  external: ['node-pty', '@xterm/*', 'react-devtools-core'],
  banner: { js: "import{createRequire as __muster_cr}from'node:module';const require=__muster_cr(import.meta.url);" },
  format: 'esm',
  logLevel: 'warning',
};

const out = 'dist/bundle.next';
rmSync(out, { recursive: true, force: true });

await build({
  ...common,
  entryPoints: { main: 'dist/src/cli/main.js' },
  outdir: out,
  plugins: [
    {
      name: 'lazy-parts',
      setup(b) {
        b.onResolve({ filter: /\.js$/ }, (args) => {
          if (args.kind !== 'dynamic-import') return undefined;
          const abs = resolve(args.resolveDir, args.path);
          const hit = Object.entries(LAZY).find(([suffix]) => abs === resolve(suffix.startsWith('components/') ? 'dist' : 'dist/src', suffix));
          return hit ? { path: `./lazy/${hit[1]}.js`, external: true } : undefined;
        });
      },
    },
  ],
});

await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(LAZY).map(([src, name]) => [name, `dist/${src.startsWith('components/') ? '' : 'src/'}${src}`])),
  outdir: `${out}/lazy`,
  splitting: true,
});

// Swapped in whole, so a command started during a build never sees half a bundle.
rmSync('dist/bundle.old', { recursive: true, force: true });
try {
  renameSync('dist/bundle', 'dist/bundle.old');
} catch {
  // first build
}
renameSync(out, 'dist/bundle');
rmSync('dist/bundle.old', { recursive: true, force: true });
