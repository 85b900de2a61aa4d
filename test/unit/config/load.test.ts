import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { agentPresets } from '../../../src/config/schema.js';

function problem(text: string): string {
  try {
    parseConfig(text, '.muster/config.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('fills every default from an empty file', () => {
    const c = parseConfig('', 'x');
    expect(c.parallel.max_workers).toBe(4);
    expect(c.ports).toEqual({ base: 20000, block: 10, slots: 32, names: [] });
    expect(c.worktrees).toEqual({
      dir: '../{repo}.worktrees',
      setup: [],
      copy: [],
      archive_exclude: ['node_modules', '.venv', '__pycache__', 'target', '.next', '.cache'],
    });
    expect(c.merge.strategy).toBe('merge');
    expect(c.quality_gates).toEqual([]);
    expect(Object.keys(agentPresets(c))).toEqual(['claude', 'codex', 'aider', 'gemini', 'shell']);
  });

  it('names file, line, key path, expected and received for a wrong type', () => {
    const text = 'agents: {}\n\nparallel:\n  max_workers: four\n';
    expect(problem(text)).toBe('.muster/config.yaml:4 parallel.max_workers: expected a positive integer, received "four"');
  });

  it('says which keys exist when a key is unknown', () => {
    expect(problem('parallel:\n  max_worker: 3\n')).toBe(
      '.muster/config.yaml:2 parallel.max_worker: expected no key "max_worker" here (known keys: max_workers), received an unknown key',
    );
  });

  it('reports a YAML syntax error with its line', () => {
    expect(problem('parallel:\n  max_workers: [1, 2\nmerge: {}\n')).toMatch(/^\.muster\/config\.yaml:\d+ expected valid YAML, received /);
  });

  it('refuses a default agent that is not configured', () => {
    expect(problem('default_agent: gpt\n')).toBe(
      '.muster/config.yaml:1 default_agent: expected one of the configured agents (claude, codex, aider, gemini, shell), received "gpt"',
    );
  });

  it('refuses an unknown merge strategy and a negative port block', () => {
    expect(problem('merge:\n  strategy: octopus\n')).toBe('.muster/config.yaml:2 merge.strategy: expected one of merge, rebase, squash, received "octopus"');
    expect(problem('ports:\n  block: -1\n')).toBe('.muster/config.yaml:2 ports.block: expected a positive integer, received -1');
  });

  it.each([
    [
      'a base whose slots run past 65535',
      'agents: {}\nports:\n  base: 65530\n',
      '.muster/config.yaml:3 ports.base: expected a port range that ends by 65535 (base 65530 + slots 32 × block 10 runs to 65849): lower base to 65216 or less, received 65530',
    ],
    [
      'slots and block that overrun from a valid base',
      'ports: { base: 60000, block: 100, slots: 100 }\n',
      '.muster/config.yaml:1 ports.base: expected a port range that ends by 65535 (base 60000 + slots 100 × block 100 runs to 69999): lower base to 55536 or less, or set slots to 55 or less, received 60000',
    ],
    [
      'one slot too many',
      'ports:\n  base: 65000\n  slots: 54\n',
      '.muster/config.yaml:2 ports.base: expected a port range that ends by 65535 (base 65000 + slots 54 × block 10 runs to 65539): lower base to 64996 or less, or set slots to 53 or less, received 65000',
    ],
    [
      'more port names than ports in a block',
      'ports:\n  block: 2\n  names: [web, api, db]\n',
      '.muster/config.yaml:3 ports.names: expected at most block (2) port names, one port each; 3 are given: raise block or drop names, received ["web","api","db"]',
    ],
    [
      'two names with one variable',
      'ports:\n  names: [dev-server, dev_server]\n',
      '.muster/config.yaml:2 ports.names: expected port names with distinct variables; "dev-server" and "dev_server" are both MUSTER_PORT_DEV_SERVER, received ["dev-server","dev_server"]',
    ],
    ['a base below 1024', 'ports:\n  base: 80\n', '.muster/config.yaml:2 ports.base: expected a port number from 1024 to 65535, received 80'],
    ['a port name that is not a string', 'ports:\n  names: [web, 3]\n', '.muster/config.yaml:2 ports.names[1]: expected port name, received 3'],
  ])('refuses %s, with file and line', (_name, text, message) => {
    expect(problem(text)).toBe(message);
  });

  it('takes a port range that ends exactly at 65535', () => {
    expect(parseConfig('ports:\n  base: 65216\n', 'x').ports).toMatchObject({ base: 65216, slots: 32, block: 10 });
  });

  it('merges configured agents over the built-ins', () => {
    const c = parseConfig('agents:\n  bot: { command: ./bot.sh, args: ["{prompt_file}"] }\n  claude: { command: claude-dev }\ndefault_agent: bot\n', 'x');
    const presets = agentPresets(c);
    expect(presets.bot).toEqual({ command: './bot.sh', args: ['{prompt_file}'], env: {}, waiting_patterns: [], done_on_idle: false, resume: true });
    expect(presets.claude?.command).toBe('claude-dev');
    expect(c.default_agent).toBe('bot');
  });

  it('reads hosts with their ssh destination, worker cap, work directory and lock lease, defaults filled', () => {
    const c = parseConfig(
      'hosts:\n  build1:\n    ssh: me@build1\n    max_workers: 6\n  gpu:\n    ssh: gpu\n    dir: /srv/muster\n    lock_lease_seconds: 30\n',
      'x',
    );
    expect(c.hosts).toEqual({
      build1: { ssh: 'me@build1', max_workers: 6, dir: 'muster-work', lock_lease_seconds: 120 },
      gpu: { ssh: 'gpu', max_workers: 2, dir: '/srv/muster', lock_lease_seconds: 30 },
    });
  });

  it.each([
    [
      'a host without ssh',
      'hosts:\n  b1:\n    max_workers: 2\n',
      '.muster/config.yaml:3 hosts.b1.ssh: expected an ssh destination ([user@]host or a ~/.ssh/config alias), received nothing',
    ],
    [
      'an ssh destination that ssh would read as an option',
      'hosts:\n  b1:\n    ssh: "-oProxyCommand=x"\n',
      '.muster/config.yaml:3 hosts.b1.ssh: expected an ssh destination ([user@]host or a ~/.ssh/config alias), without spaces or a leading -, received "-oProxyCommand=x"',
    ],
    [
      'a zero worker cap',
      'hosts:\n  b1:\n    ssh: b1\n    max_workers: 0\n',
      '.muster/config.yaml:4 hosts.b1.max_workers: expected a positive integer, received 0',
    ],
    [
      'a host named local',
      'hosts:\n  local:\n    ssh: b1\n',
      '.muster/config.yaml:2 hosts: expected a host name other than "local" (this machine), received "local"',
    ],
    [
      'an unknown key of a host',
      'hosts:\n  b1:\n    ssh: b1\n    workers: 2\n',
      '.muster/config.yaml:4 hosts.b1.workers: expected no key "workers" here (known keys: ssh, max_workers, dir, lock_lease_seconds), received an unknown key',
    ],
  ])('refuses %s, with file and line', (_name, text, message) => {
    expect(problem(text)).toBe(message);
  });
});
