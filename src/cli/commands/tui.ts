import type { Command } from 'commander';
import { headerText } from '../../../components/header-text.js';
import { connect } from '../../client/connect.js';

/**
 * `muster` with no command: the cockpit. Its first useful frame (the header, from the
 * supervisor's status) is drawn here, before the TUI bundle — Ink and React — is even loaded.
 */
export function registerTuiAction(program: Command): void {
  program.action(async () => {
    const { client, paths } = await connect();
    const out = process.stdout;
    if (out.isTTY && process.stdin.isTTY) {
      const status = await client.call('status', {});
      const { top, counts } = headerText(status, status.tasks, status.conflicts);
      out.write(`\x1b[?1049h\x1b[H\x1b[2J${top.slice(0, out.columns)}\r\n${counts.slice(0, out.columns)}\r\n\x1b[2mloading…\x1b[0m`);
    }
    const ciWas = process.env.CI;
    // Ink renders nothing live, and chalk no colour, when CI is set at import time; the
    // operator's terminal is what counts here.
    if (out.isTTY) delete process.env.CI;
    try {
      const [{ runTui }, { loadConfig }] = await Promise.all([import('../../../components/tui/run.js'), import('../../config/load.js')]);
      if (ciWas !== undefined) process.env.CI = ciWas;
      const keys = loadConfig(paths.configFile, paths.repo.mainRoot).keys;
      process.exitCode = await runTui({ client, keys });
    } catch (e) {
      // Whatever stopped the cockpit, the operator gets their screen back before the message.
      if (out.isTTY) out.write('\x1b[?1049l');
      client.close();
      throw e;
    }
  });
}
