import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's root: the directory above this module holding bin/muster.js (built, bundled or source). */
export function packageRoot(): string {
  const from = dirname(fileURLToPath(import.meta.url));
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'bin/muster.js'))) return dir;
  }
  throw new Error(`bin/muster.js not found above ${from}`);
}

/** `bin/muster.js` of this package. */
export function musterBin(): string {
  return resolve(packageRoot(), 'bin/muster.js');
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(resolve(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
