import { join } from 'node:path';
import { homeDir } from './home-dir.js';

/** Where the fleet file is: `$XDG_CONFIG_HOME/muster/fleet.yaml`, else `~/.config/muster/fleet.yaml`. */
export function fleetFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homeDir(), '.config');
  return join(base, 'muster', 'fleet.yaml');
}
