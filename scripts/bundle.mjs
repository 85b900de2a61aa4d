// Bundles the CLI into dist/bundle with esbuild: one parse of a minified file starts much
// faster than resolving and parsing hundreds of modules. Heavy parts (the supervisor, the
// TUI) stay in chunks loaded only by the commands that need them.
import { build } from 'esbuild';

import { rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { main: 'dist/src/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  // Native or CommonJS packages loaded through createRequire stay in node_modules.
  external: ['node-pty', '@xterm/*', 'react-devtools-core'],
  banner: { js: "import{createRequire as __muster_cr}from'node:module';const require=__muster_cr(import.meta.url);" },
  logLevel: 'warning',
});
