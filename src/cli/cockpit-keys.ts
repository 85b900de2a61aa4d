import { fleetFile } from '../paths/fleet-file.js';
import type { MusterPaths } from '../paths/muster-paths.js';

/**
 * The key map overrides for a cockpit or an attach: the repository's own config for a local
 * repository; the fleet file's `keys:` for a remote one or several (the operator's, not one
 * repository's). Loaded when needed: other commands never pay for the YAML parser.
 */
export async function cockpitKeys(paths: MusterPaths | null): Promise<Record<string, string>> {
  if (paths) {
    const { loadConfig } = await import('../config/load.js');
    return loadConfig(paths.configFile, paths.repo.mainRoot).keys;
  }
  const { loadFleet } = await import('../config/fleet.js');
  return loadFleet(fleetFile())?.keys ?? {};
}
