import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { replaceText } from '../fs/files.js';
import { musterBin } from '../../paths/package-root.js';

/**
 * A `muster` executable for agents' PATH, so an agent can run `muster task done` whether or
 * not muster is installed globally. It runs this very checkout with this very node.
 */
export function writeMusterShim(stateDir: string): string {
  const dir = join(stateDir, 'bin');
  mkdirSync(dir, { recursive: true });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // Agents may be running it right now: never a half-written script.
  replaceText(join(dir, 'muster'), `#!/bin/sh\nexec ${q(process.execPath)} ${q(musterBin())} "$@"\n`, 0o755);
  return dir;
}
