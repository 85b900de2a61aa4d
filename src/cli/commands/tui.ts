import type { Command } from 'commander';
import { fleetHeaderText } from '../../../components/fleet-header.js';
import { headerText } from '../../../components/header-text.js';
import type { FleetClient } from '../../client/fleet-client.js';
import { connect } from '../../client/connect.js';
import type { MusterClient } from '../../client/client.js';
import type { MusterPaths } from '../../paths/muster-paths.js';
import { cockpitKeys } from '../cockpit-keys.js';
import { cockpitPlan, openFleet } from '../fleet-cockpit.js';
import type { GlobalOptions } from '../global-options.js';

/**
 * `muster` with no command: the cockpit — of this repository, or of several and remote ones
 * (`--host`, `--repo`, the fleet file). Its first useful frame (the header, from the
 * supervisor's status) is drawn here, before the TUI bundle — Ink and React — is even loaded.
 */
export function registerTuiAction(program: Command): void {
  program.action(async (o: GlobalOptions) => {
    const plan = await cockpitPlan(o);
    let client: MusterClient | FleetClient;
    let fleet: FleetClient | undefined;
    let paths: MusterPaths | null = null;
    if (plan.kind === 'fleet') {
      fleet = await openFleet(plan);
      client = fleet;
    } else {
      ({ client, paths } = await connect({ cwd: plan.cwd }));
    }
    const out = process.stdout;
    if (out.isTTY && process.stdin.isTTY) {
      const status = await client.call('status', {}).catch(() => null);
      const { top, counts } = fleet
        ? fleetHeaderText({ current: fleet.current, repos: fleet.summary() }, status, status?.tasks ?? [], status?.conflicts ?? [], '')
        : headerText(status, status?.tasks ?? [], status?.conflicts ?? []);
      out.write(`\x1b[?1049h\x1b[H\x1b[2J${top.slice(0, out.columns)}\r\n${counts.slice(0, out.columns)}\r\n\x1b[2mloading…\x1b[0m`);
    }
    const ciWas = process.env.CI;
    // Ink renders nothing live, and chalk no colour, when CI is set at import time; the
    // operator's terminal is what counts here.
    if (out.isTTY) delete process.env.CI;
    try {
      const [{ runTui }, keys] = await Promise.all([import('../../../components/tui/run.js'), cockpitKeys(paths).catch(openWithDefaultKeys)]);
      if (ciWas !== undefined) process.env.CI = ciWas;
      const cwd = plan.kind === 'fleet' ? undefined : plan.cwd;
      process.exitCode = await runTui({ client, keys, ...(fleet ? { fleet } : { connect: async (autostart) => (await connect({ cwd, autostart })).client }) });
    } catch (e) {
      // Whatever stopped the cockpit, the operator gets their screen back before the message.
      if (out.isTTY) out.write('\x1b[?1049l');
      client.close();
      throw e;
    }
  });
}

/**
 * A broken config file must not keep the operator out of the running agents: the cockpit
 * opens with the default keys, and its header shows the problem as the supervisor reports it
 * (file:line, key, expected and received). Matched by name: the loader is in a lazily loaded
 * chunk of the bundle, with its own copy of the class.
 */
function openWithDefaultKeys(e: unknown): Record<string, string> {
  if ((e as Error).name === 'ConfigError') return {};
  throw e;
}
