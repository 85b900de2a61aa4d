import { createRequire } from 'node:module';

/**
 * `os.homedir()`, with node:os loaded on first use: every CLI command imports the modules that
 * call this, and few commands get that far.
 */
export function homeDir(): string {
  return (createRequire(import.meta.url)('node:os') as typeof import('node:os')).homedir();
}
