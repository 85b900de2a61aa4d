import { describe, expect, it } from 'vitest';
import { formatRemoteTarget, parseRemoteTarget, parseRepoSpec } from '../../../src/core/remote-target.js';

describe('parseRemoteTarget ([user@]host[:path])', () => {
  it.each([
    ['build-box', { host: 'build-box', path: null }],
    ['build-box:', { host: 'build-box', path: null }],
    ['build-box:/srv/app', { host: 'build-box', path: '/srv/app' }],
    ['alice@build-box:src/app', { host: 'alice@build-box', path: 'src/app' }],
    ['box:~/work/app', { host: 'box', path: '~/work/app' }],
    ['box:/srv/a:b', { host: 'box', path: '/srv/a:b' }],
    ['[::1]:/srv/app', { host: '::1', path: '/srv/app' }],
    ['bob@[fe80::1]', { host: 'bob@fe80::1', path: null }],
    ['  box:/x  ', { host: 'box', path: '/x' }],
  ])('reads %j', (spec, expected) => {
    expect(parseRemoteTarget(spec)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'empty'],
    [':/srv/app', 'no host'],
    ['-oProxyCommand=sh', 'an ssh option'],
    ['-p 22 box', 'an option with a space'],
    ['alice@:/x', 'a user and no host'],
    ['my box:/x', 'a space in the host'],
    ['a/b:/x', 'a slash in the host'],
  ])('refuses %j (%s), saying what it expects', (spec) => {
    const r = parseRemoteTarget(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'bad-input', message: expect.stringContaining('expected [user@]host[:path]') });
  });

  it('refuses a NUL byte in the path', () => {
    const r = parseRemoteTarget('box:/a\0b');
    expect(r.ok || r.error.message).toContain('NUL');
  });

  it('formats what it parsed back', () => {
    for (const spec of ['box', 'alice@box:/srv/app', 'box:rel/dir']) {
      const r = parseRemoteTarget(spec);
      if (!r.ok) throw new Error(r.error.message);
      expect(formatRemoteTarget(r.value)).toBe(spec);
    }
  });
});

describe('parseRepoSpec (--repo, fleet.yaml)', () => {
  it.each([
    ['../app', { kind: 'local', path: '../app' }],
    ['/srv/app', { kind: 'local', path: '/srv/app' }],
    ['/srv/a:b', { kind: 'local', path: '/srv/a:b' }],
    ['./weird:name', { kind: 'local', path: './weird:name' }],
    ['~/src/app', { kind: 'local', path: '~/src/app' }],
    ['app', { kind: 'local', path: 'app' }],
    ['box:/srv/app', { kind: 'remote', target: { host: 'box', path: '/srv/app' } }],
    ['alice@box:app', { kind: 'remote', target: { host: 'alice@box', path: 'app' } }],
    ['[::1]:/srv', { kind: 'remote', target: { host: '::1', path: '/srv' } }],
  ])('reads %j like scp and git do', (spec, expected) => {
    expect(parseRepoSpec(spec)).toEqual({ ok: true, value: expected });
  });

  it('refuses an empty one and a bad host', () => {
    expect(parseRepoSpec('  ').ok).toBe(false);
    expect(parseRepoSpec('-x:/srv').ok).toBe(false);
  });
});
