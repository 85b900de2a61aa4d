// Builds muster's small native helper (native/muster_proc.c: peer credentials of socket
// clients, the orphan subreaper) with node-gyp, like node-pty's, but only when the compiled
// module is missing or older than its source: `npm run build` stays fast.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '../native');
const out = join(dir, 'build/Release/muster_proc.node');
const sources = ['muster_proc.c', 'binding.gyp'].map((f) => join(dir, f));
const fresh = existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs);
if (!fresh) {
  // npm run-script says where its own node-gyp is; outside npm, the one bundled with npm.
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  const gyp = candidates.find((c) => c && existsSync(c));
  if (!gyp) {
    process.stderr.write('muster: node-gyp not found; run the build through npm ("npm run build") to compile native/muster_proc.c\n');
    process.exit(1);
  }
  // Against this Node's own headers: node-gyp would otherwise try to download them.
  const prefix = resolve(dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : null);
  try {
    execFileSync(process.execPath, [gyp, 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    process.stderr.write(
      `${e.stdout ?? ''}${e.stderr ?? ''}\nmuster: building native/muster_proc.c failed (above); it needs python3, make and a C compiler, like node-pty\n`,
    );
    process.exit(1);
  }
}
