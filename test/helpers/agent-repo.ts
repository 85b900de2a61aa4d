import { resolve } from 'node:path';
import { createTempRepo, type TempRepo } from './temp-repo.js';

export const FAKE_AGENT = resolve(import.meta.dirname, '../fixtures/fake-agent.mjs');
/** A full-screen program that turns on every terminal mode it can (see the fixture). */
export const FULLSCREEN_AGENT = resolve(import.meta.dirname, '../fixtures/fullscreen-agent.mjs');

/** An agent preset for the config: program and argument vector. */
export interface AgentPreset {
  command: string;
  args?: string[];
  /** The agent CLI muster wires it as (hooks, MCP server), e.g. `claude`. */
  integration?: string;
}

/**
 * A temp repo whose config has a `fake` agent preset running the fake agent fixture, a port
 * range of its own (tests run in parallel), and any extra YAML.
 */
export function createAgentRepo(
  opts: { portBase?: number; extra?: string; maxWorkers?: number; agents?: Record<string, AgentPreset>; terminal?: Record<string, number> } = {},
): TempRepo {
  const repo = createTempRepo();
  const base = opts.portBase ?? 30000 + Math.floor(Math.random() * 300) * 100;
  repo.write(
    '.muster/config.yaml',
    [
      'agents:',
      `  fake: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FAKE_AGENT)}, "{prompt_file}"] }`,
      ...Object.entries(opts.agents ?? {}).map(
        ([name, a]) =>
          `  ${name}: { command: ${JSON.stringify(a.command)}, args: ${JSON.stringify(a.args ?? [])}${a.integration ? `, integration: ${a.integration}` : ''} }`,
      ),
      'default_agent: fake',
      `parallel: { max_workers: ${opts.maxWorkers ?? 4} }`,
      `ports: { base: ${base}, block: 5, slots: 12, names: [dev_server, test_runner] }`,
      `terminal: ${JSON.stringify({ stop_grace_seconds: 2, ...opts.terminal })}`,
      opts.extra ?? '',
    ].join('\n'),
  );
  repo.commitAll('muster config');
  return repo;
}
