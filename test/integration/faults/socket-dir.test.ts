import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonPid, muster, stopDaemon } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';
import { pathsOf } from './harness.js';

const isRoot = process.getuid?.() === 0;
const uid = process.getuid?.() ?? 0;
/** The nobody user, which owns nothing of ours. */
const NOBODY = 65534;

/**
 * A repository whose path is too long for a socket of its own, so its socket goes to
 * `$XDG_RUNTIME_DIR/muster-<uid>/`, with a private XDG_RUNTIME_DIR per test.
 */
function longPathRepo(): { repo: TempRepo; xdg: string; dir: string; env: Record<string, string> } {
  const repo = createTempRepo(`repo-with-a-name-long-enough-to-push-the-socket-path-past-the-sun-path-limit-${'x'.repeat(40)}`);
  const xdg = mkdtempSync(join(tmpdir(), 'muster-xdg-'));
  return { repo, xdg, dir: join(xdg, `muster-${uid}`), env: { XDG_RUNTIME_DIR: xdg } };
}

describe('the fallback socket directory (long repository paths)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function setup() {
    const s = longPathRepo();
    cleanups.push(
      () => s.repo.cleanup(),
      () => rmSync(s.xdg, { recursive: true, force: true }),
      () => stopDaemon(s.repo.dir),
    );
    return s;
  }

  it('is created private (0700, owned by the user) and serves the supervisor', async () => {
    const { repo, dir, env } = setup();
    const r = await muster(repo.dir, ['status', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const st = lstatSync(dir);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(uid);
    expect(readdirSync(dir).some((f) => f.endsWith('.sock'))).toBe(true);
  });

  it.skipIf(!isRoot)('refuses a directory another user created, naming it and what to do, and starts nothing (needs root to chown it to nobody)', async () => {
    const { repo, dir, env } = setup();
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    chownSync(dir, NOBODY, NOBODY);
    const r = await muster(repo.dir, ['status'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`The socket directory ${dir} belongs to uid ${NOBODY} (mode 0777), not to you (uid ${uid})`);
    expect(r.stderr).toContain('set XDG_RUNTIME_DIR to a directory only you can write');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(daemonPid(repo.dir)).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a directory of its own that others can write, and says how to fix it', async () => {
    const { repo, dir, env } = setup();
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = await muster(repo.dir, ['task', 'list'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`The socket directory ${dir} has mode 0777`);
    expect(r.stderr).toContain(`"chmod 700 ${dir}"`);
    expect(daemonPid(repo.dir)).toBeNull();
  });

  it('refuses a symbolic link in place of the directory, even to a private directory', async () => {
    const { repo, xdg, dir, env } = setup();
    const elsewhere = join(xdg, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, dir);
    const r = await muster(repo.dir, ['status'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`The socket directory ${dir} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  /**
   * A listener someone else put where the supervisor's socket would be, recording every byte
   * it is sent: what `muster proxy` must never talk to.
   */
  async function fakeListener(repo: TempRepo, dir: string): Promise<{ heard: () => string; connections: () => number }> {
    const socket = join(dir, `${createHash('sha256').update(pathsOf(repo.dir).stateDir).digest('hex').slice(0, 16)}.sock`);
    let heard = '';
    let connections = 0;
    const server: Server = createServer((c) => {
      connections++;
      c.setEncoding('utf8').on('data', (d: string) => (heard += d));
    });
    await new Promise<void>((ok) => server.listen(socket, ok));
    cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())));
    return { heard: () => heard, connections: () => connections };
  }

  const secretRequest = JSON.stringify({ id: 1, method: 'task.add', params: { title: 'deploy', prompt: 'the secret is hunter2' } });

  it.skipIf(!isRoot)(
    'muster proxy refuses a directory another user owns, with a listener in it, and sends it nothing (needs root to chown it to nobody)',
    async () => {
      const { repo, dir, env } = setup();
      mkdirSync(dir);
      chmodSync(dir, 0o777);
      const listener = await fakeListener(repo, dir);
      chownSync(dir, NOBODY, NOBODY);
      const r = await muster(repo.dir, ['proxy'], { env, input: `${secretRequest}\n` });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`muster: The socket directory ${dir} belongs to uid ${NOBODY} (mode 0777), not to you (uid ${uid})`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      expect(listener.connections()).toBe(0);
      expect(listener.heard()).toBe('');
    },
  );

  it('muster proxy refuses a directory of its own that others can write, with a listener in it, and sends it nothing', async () => {
    const { repo, dir, env } = setup();
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const listener = await fakeListener(repo, dir);
    const r = await muster(repo.dir, ['proxy'], { env, input: `${secretRequest}\n` });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`muster: The socket directory ${dir} has mode 0777`);
    expect(listener.connections()).toBe(0);
    expect(listener.heard()).toBe('');
    expect(daemonPid(repo.dir)).toBeNull();
  });

  it('is checked by the supervisor too, when it is started by hand', async () => {
    const { repo, dir, env } = setup();
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const r = await muster(repo.dir, ['daemon'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`The socket directory ${dir} has mode 0755`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(repo.dir, '.git', 'muster', 'daemon.lock'))).toBe(false);
  });
});
