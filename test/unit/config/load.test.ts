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
    expect(c.worktrees).toEqual({ dir: '../{repo}.worktrees', setup: [], copy: [] });
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

  it('merges configured agents over the built-ins', () => {
    const c = parseConfig('agents:\n  bot: { command: ./bot.sh, args: ["{prompt_file}"] }\n  claude: { command: claude-dev }\ndefault_agent: bot\n', 'x');
    const presets = agentPresets(c);
    expect(presets.bot).toEqual({ command: './bot.sh', args: ['{prompt_file}'], env: {}, waiting_patterns: [] });
    expect(presets.claude?.command).toBe('claude-dev');
    expect(c.default_agent).toBe('bot');
  });
});
