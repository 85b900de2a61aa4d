import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { musterBin } from '../../paths/package-root.js';

/**
 * A `muster` executable for agents' PATH, so an agent can run `muster task done` whether or
 * not muster is installed globally. It runs this very checkout with this very node.
 */
export function writeMusterShim(stateDir: string): string {
  const dir = join(stateDir, 'bin');
  mkdirSync(dir, { recursive: true });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(join(dir, 'muster'), `#!/bin/sh\nexec ${q(process.execPath)} ${q(musterBin())} "$@"\n`, { mode: 0o755 });
  return dir;
}
