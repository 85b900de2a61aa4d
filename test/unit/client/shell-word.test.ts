import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remoteProxyCommand } from '../../../src/client/ssh-transport.js';
import { shellWord } from '../../../src/core/shell-word.js';

/** What a real POSIX shell makes of a command line: each argument on its own line, NUL-separated. */
function shellArgs(line: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellWord: a path reaches muster proxy (or a hook command) as one literal argument', () => {
  it('survives the remote shell whatever the path holds', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', ' ', "'", '"', '$', '`', '\\', '*', '?', ';', '&', '|', '~', '\n', '(', 'é', '-', '#', '!'),
          minLength: 1,
          maxLength: 12,
        }),
        (s) => {
          expect(shellArgs(shellWord(s))).toEqual([s]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('leaves plain paths readable', () => {
    expect(shellWord('/srv/app-1.2/x_y')).toBe('/srv/app-1.2/x_y');
    expect(shellWord("it's here")).toBe(`'it'\\''s here'`);
  });

  it('quotes the path in the remote command, and adds --no-start for a reconnect', () => {
    const cmd = remoteProxyCommand({ host: 'box', path: '/srv/my app; rm -rf ~' }, { start: false, env: {} });
    expect(cmd).toBe(`muster proxy --cwd '/srv/my app; rm -rf ~' --no-start`);
    expect(shellArgs(cmd.slice('muster '.length))).toEqual(['proxy', '--cwd', '/srv/my app; rm -rf ~', '--no-start']);
    expect(remoteProxyCommand({ host: 'box', path: null }, { env: { MUSTER_REMOTE_COMMAND: 'node ~/m/bin/muster.js' } })).toBe('node ~/m/bin/muster.js proxy');
  });
});
