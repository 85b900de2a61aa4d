import { describe, expect, it } from 'vitest';
import { judgeActivity } from '../../../src/core/activity.js';
import { agentArgv, agentEnv, handoffNote, promptDocument } from '../../../src/core/agent-launch.js';
import { freeSlots, portBlock, portEnvName } from '../../../src/core/port-slots.js';

describe('agentArgv', () => {
  it('substitutes {prompt} and {prompt_file} inside arguments and never joins them into a shell string', () => {
    const argv = agentArgv({ command: 'aider', args: ['--message-file', '{prompt_file}', '--say={prompt}'], env: {} }, 'fix `rm -rf /` $(x)', '/p/PROMPT.md');
    expect(argv).toEqual(['aider', '--message-file', '/p/PROMPT.md', '--say=fix `rm -rf /` $(x)']);
  });
});

describe('agentEnv', () => {
  it('exports the task, paths and every port of the slot, and lets the preset add its own', () => {
    const ports = portBlock({ base: 20000, block: 10, slots: 4, names: ['dev_server', 'test-runner'] }, 2);
    expect(agentEnv({ taskId: 7, mainRoot: '/r', contextFile: '/r/c.md', promptFile: '/r/p.md', ports, presetEnv: { FOO: 'bar' } })).toEqual({
      MUSTER_TASK_ID: '7',
      MUSTER_ROOT: '/r',
      MUSTER_CONTEXT: '/r/c.md',
      MUSTER_PROMPT_FILE: '/r/p.md',
      PORT: '20020',
      MUSTER_PORT_BASE: '20020',
      MUSTER_PORTS: '20020-20029',
      MUSTER_PORT_DEV_SERVER: '20020',
      MUSTER_PORT_TEST_RUNNER: '20021',
      FOO: 'bar',
    });
  });
});

describe('port slots', () => {
  it('hands out the lowest free slots and never a port past the range or 65535', () => {
    const cfg = { base: 65500, block: 10, slots: 10, names: [] };
    expect(freeSlots(cfg, new Map([[0, 1]]))).toEqual([1, 2]);
    expect(portBlock(cfg, 2)).toMatchObject({ base: 65520, last: 65529 });
    expect(portEnvName('api.v2')).toBe('MUSTER_PORT_API_V2');
  });
});

describe('promptDocument and handoffNote', () => {
  it('puts the hand-off note first and the operator feedback after the prompt', () => {
    const note = handoffNote({ taskId: 3, fromAgent: 'claude', toAgent: 'codex', diffStat: ' a.ts | 2 +-', commits: 'abc first', contextEntries: ['- [#3 12:00] decided X'] });
    const doc = promptDocument({ id: 3, title: 't', prompt: 'Do the thing', feedback: ['tests fail'] }, note);
    expect(doc.indexOf('# Hand-off: task #3 moves from claude to codex')).toBe(0);
    expect(doc.indexOf('Do the thing')).toBeGreaterThan(doc.indexOf('decided X'));
    expect(doc).toMatch(/## Feedback from the operator\n\n1\. tests fail\n$/);
  });
});

describe('judgeActivity', () => {
  const base = { reported: null, running: true, lastOutputAt: 0, lastInputAt: 0, now: 10_000, screenTail: [] as string[], waitingPatterns: [/\? \(y\/n\) $/] };
  it.each([
    ['exited', { running: false }, 'exited'],
    ['recent output', { lastOutputAt: 9_500 }, 'working'],
    ['a known prompt after quiet', { lastOutputAt: 5_000, screenTail: ['Apply? (y/n) '] }, 'waiting-input'],
    ['quiet with no known prompt', { lastOutputAt: 5_000, screenTail: ['thinking'] }, 'unknown'],
    ['a report newer than the last input', { reported: { status: 'idle' as const, at: 9_000 }, lastInputAt: 8_000, lastOutputAt: 9_900 }, 'idle'],
    ['a report answered by typing', { reported: { status: 'waiting-input' as const, at: 7_000 }, lastInputAt: 8_000, lastOutputAt: 9_900 }, 'working'],
  ])('%s -> %s', (_name, patch, expected) => {
    expect(judgeActivity({ ...base, ...patch }).status).toBe(expected);
  });
});
