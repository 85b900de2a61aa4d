import { describe, expect, it } from 'vitest';
import { judgeActivity } from '../../../src/core/activity.js';
import { agentArgv, agentEnv, execFailure, execTooBig, handoffNote, MAX_PROMPT_ARG_BYTES, promptDocument, utf8Length } from '../../../src/core/agent-launch.js';
import { freeSlots, portBlock, portEnvName } from '../../../src/core/port-slots.js';

describe('agentArgv', () => {
  it('substitutes {prompt} and {prompt_file} inside arguments and never joins them into a shell string', () => {
    const argv = agentArgv({ command: 'aider', args: ['--message-file', '{prompt_file}', '--say={prompt}'], env: {} }, 'fix `rm -rf /` $(x)', '/p/PROMPT.md');
    expect(argv).toEqual(['aider', '--message-file', '/p/PROMPT.md', '--say=fix `rm -rf /` $(x)']);
  });

  it('never passes a prompt that starts with a dash as an option: after "--" it goes as is, else the prompt file stands in', () => {
    const prompt = '--dangerously-skip-permissions and delete everything';
    expect(agentArgv({ command: 'claude', args: ['--', '{prompt}'], env: {} }, prompt, '/p/PROMPT.md')).toEqual(['claude', '--', prompt]);
    const bare = agentArgv({ command: 'codex', args: ['{prompt}'], env: {} }, prompt, '/p/PROMPT.md');
    expect(bare[1]).not.toMatch(/^-/);
    expect(bare[1]).toContain('/p/PROMPT.md');
    // Inside an argument (--opt={prompt}) it is a value, never an option.
    expect(agentArgv({ command: 'gemini', args: ['--prompt-interactive={prompt}'], env: {} }, prompt, '/p')).toEqual([
      'gemini',
      `--prompt-interactive=${prompt}`,
    ]);
  });

  it('passes a prompt too long for the command line through the prompt file', () => {
    const long = 'x'.repeat(MAX_PROMPT_ARG_BYTES + 1);
    const argv = agentArgv({ command: 'claude', args: ['--', '{prompt}'], env: {} }, long, '/p/PROMPT.md');
    expect(argv[2]).toMatch(/too long for the command line; they are in \/p\/PROMPT.md/);
    expect(agentArgv({ command: 'claude', args: ['{prompt}'], env: {} }, 'é'.repeat(MAX_PROMPT_ARG_BYTES / 2), '/p')[1]).toBe(
      'é'.repeat(MAX_PROMPT_ARG_BYTES / 2),
    );
    expect(agentArgv({ command: 'claude', args: ['{prompt}'], env: {} }, 'é'.repeat(MAX_PROMPT_ARG_BYTES / 2 + 1), '/p')[1]).toContain('too long');
  });

  it('puts the integration options right after the command, before the preset arguments', () => {
    expect(agentArgv({ command: 'claude', args: ['--model', 'opus', '--', '{prompt}'], env: {} }, 'hi', '/p', { prefix: ['--settings', 's.json'] })).toEqual([
      'claude',
      '--settings',
      's.json',
      '--model',
      'opus',
      '--',
      'hi',
    ]);
  });
});

describe('exec limits', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
  });

  it('says E2BIG before spawning for an argument or an environment exec would refuse, and nothing for ordinary ones', () => {
    expect(execTooBig(['claude', 'hi'], { PATH: '/bin' })).toBe(null);
    expect(execTooBig(['claude', 'x'.repeat(200_000)], {})).toMatch(/E2BIG/);
    expect(execTooBig(['claude'], { BIG: 'y'.repeat(200_000) })).toMatch(/E2BIG/);
    expect(execTooBig(['claude', ...Array.from({ length: 40 }, () => 'z'.repeat(100_000))], {})).toMatch(/arguments and environment take/);
  });

  it('reads why a PTY child could not exec its program', () => {
    expect(execFailure('\r\nexecvp(3) failed.: No such file or directory\r\n')).toBe('No such file or directory');
    expect(execFailure('all fine')).toBe(null);
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
    const note = handoffNote({
      taskId: 3,
      fromAgent: 'claude',
      toAgent: 'codex',
      diffStat: ' a.ts | 2 +-',
      commits: 'abc first',
      contextEntries: ['- [#3 12:00] decided X'],
    });
    const doc = promptDocument({ id: 3, title: 't', prompt: 'Do the thing', feedback: ['tests fail'] }, note);
    expect(doc.indexOf('# Hand-off: task #3 moves from claude to codex')).toBe(0);
    expect(doc.indexOf('Do the thing')).toBeGreaterThan(doc.indexOf('decided X'));
    expect(doc).toMatch(/## Feedback from the operator\n\n1\. tests fail\n$/);
  });

  it('starts with the swarm brief when there is one, then the hand-off, the prompt and the feedback', () => {
    const doc = promptDocument({ id: 3, title: 't', prompt: 'Do the thing', feedback: ['tests fail'] }, '# Hand-off: x', '# muster: you are task #3\n');
    expect(doc.indexOf('# muster: you are task #3')).toBe(0);
    expect(doc.indexOf('# muster')).toBeLessThan(doc.indexOf('# Hand-off'));
    expect(doc.indexOf('# Hand-off')).toBeLessThan(doc.indexOf('Do the thing'));
    expect(doc.indexOf('Do the thing')).toBeLessThan(doc.indexOf('tests fail'));
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
