import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/load.js';
import { parseFleet } from '../../../src/config/fleet.js';
import { fleetFile } from '../../../src/paths/fleet-file.js';

const FILE = '/home/op/.config/muster/fleet.yaml';

function problem(text: string): string {
  try {
    parseFleet(text, FILE);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('the fleet file', () => {
  it('reads local and remote repositories, in both spellings, with names and the remote command', () => {
    const fleet = parseFleet(
      [
        'repositories:',
        '  - ~/src/app',
        '  - ../lib',
        '  - build-box:/srv/api',
        '  - { host: alice@build-box, path: src/web, name: web, remote_command: node ~/muster/bin/muster.js }',
        'keys:',
        '  detach: ctrl+b',
        '',
      ].join('\n'),
      FILE,
    );
    expect(fleet.repos).toEqual([
      { name: 'app', spec: { kind: 'local', path: `${homedir()}/src/app` }, remoteCommand: null },
      { name: 'lib', spec: { kind: 'local', path: '/home/op/.config/lib' }, remoteCommand: null },
      { name: 'build-box:api', spec: { kind: 'remote', target: { host: 'build-box', path: '/srv/api' } }, remoteCommand: null },
      { name: 'web', spec: { kind: 'remote', target: { host: 'alice@build-box', path: 'src/web' } }, remoteCommand: 'node ~/muster/bin/muster.js' },
    ]);
    expect(fleet.keys).toEqual({ detach: 'ctrl+b' });
  });

  it.each([
    ['an unknown key, with its line', 'repositories:\n  - /a\nrepos: []\n', `${FILE}:3 repos: expected no key "repos" here, received an unknown key`],
    ['no repositories', 'repositories: []\n', `${FILE}:1 repositories: expected at least one repository, received []`],
    [
      'a host that would be an ssh option',
      'repositories:\n  - /a\n  - { host: -oProxyCommand=x, path: /b }\n',
      `${FILE}:3 repositories[1].host: expected [user@]host[:path], e.g. build-box:/srv/app or alice@build-box:src/app, received "-oProxyCommand=x"`,
    ],
    [
      'a path in host',
      'repositories:\n  - { host: "box:/srv", path: /b }\n',
      `${FILE}:2 repositories[0].host: expected host names the machine only; the directory goes under path, received "box:/srv"`,
    ],
    [
      'a remote command for a local repository',
      'repositories:\n  - { path: /a, remote_command: muster }\n',
      `${FILE}:2 repositories[0].remote_command: expected remote_command only with host, received "muster"`,
    ],
    [
      'two repositories of one name',
      'repositories:\n  - /x/app\n  - /y/app\n',
      `${FILE}:3 repositories[1]: expected a name of its own (repository 1 is also called "app"; add name: …), received "app"`,
    ],
    ['a key the key map does not have', 'repositories:\n  - /a\nkeys:\n  teleport: x\n', `${FILE}:4 keys.teleport`],
    ['bad YAML', 'repositories:\n  - [\n', `${FILE}:`],
  ])('refuses %s, saying where and what', (_what, text, expected) => {
    expect(problem(text)).toContain(expected);
  });

  it('lives under XDG_CONFIG_HOME when it is set, else ~/.config', () => {
    expect(fleetFile({ XDG_CONFIG_HOME: '/x/conf' })).toBe('/x/conf/muster/fleet.yaml');
    expect(fleetFile({})).toBe(`${homedir()}/.config/muster/fleet.yaml`);
    // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
    expect(fleetFile({ XDG_CONFIG_HOME: 'rel' })).toBe(`${homedir()}/.config/muster/fleet.yaml`);
  });
});
