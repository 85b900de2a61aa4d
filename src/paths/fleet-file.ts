import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Where the fleet file is: `$XDG_CONFIG_HOME/muster/fleet.yaml`, else `~/.config/muster/fleet.yaml`. */
export function fleetFile(env: NodeJS.ProcessEnv = process.env): string {
  // node:os on first use: every CLI command imports this module, few of them read the file.
  const { homedir } = createRequire(import.meta.url)('node:os') as typeof import('node:os');
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'muster', 'fleet.yaml');
}
