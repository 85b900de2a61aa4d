import type { Command } from 'commander';
import { connect } from '../../client/connect.js';

/** `muster` with no command: the cockpit. Loaded only then, so other commands start fast. */
export function registerTuiAction(program: Command): void {
  program.action(async () => {
    const { client, paths } = await connect();
    const ciWas = process.env.CI;
    // Ink renders nothing live, and chalk no colour, when CI is set at import time; the
    // operator's terminal is what counts here.
    if (process.stdout.isTTY) delete process.env.CI;
    const [{ runTui }, { loadConfig }] = await Promise.all([import('../../../components/tui/run.js'), import('../../config/load.js')]);
    if (ciWas === undefined) delete process.env.CI;
    else process.env.CI = ciWas;
    const keys = loadConfig(paths.configFile, paths.repo.mainRoot).keys;
    process.exitCode = await runTui({ client, keys });
  });
}
