import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { BIN } from './cli.js';
import { startOf } from './processes.js';
import { waitFor } from './wait.js';

export const SSHD = '/usr/sbin/sshd';

/** The ssh alias of the test host, as an operator would name a machine in ~/.ssh/config. */
export const SSH_ALIAS = 'musterhost';

/** Why the ssh tests cannot run here, or null when they can. */
export function sshSkipReason(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian: apt-get install openssh-server; .ci/run does it)`;
  for (const tool of ['ssh', 'ssh-keygen']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not on PATH (Debian: apt-get install openssh-client)`;
    }
  }
  return null;
}

/**
 * A second machine for tests: a real OpenSSH server on 127.0.0.1 and a free port, with its own
 * host key, one client key, and its own HOME whose `bin/` (first on the session's PATH, set by
 * sshd's SetEnv) holds a `muster` that runs this checkout's build. The local side reaches it
 * as `ssh musterhost` through `env.MUSTER_SSH_COMMAND` (ssh reads ~/.ssh from the passwd entry,
 * not $HOME, hence `-F`), with ssh control sockets in a private runtime dir.
 */
export interface SshHost {
  alias: string;
  port: number;
  /** Everything of this host: keys, configs, both HOMEs. Removed by `stop`. */
  dir: string;
  /** The remote side's HOME; `bin/muster` is on its PATH. */
  remoteHome: string;
  sshConfig: string;
  /** For a local `muster` that should reach the host: the ssh command and a private runtime dir. */
  env: Record<string, string>;
  sshdPid: number;
  /** The sshd log so far (what it said about each connection). */
  log(): string;
  /** Runs a command on the host over ssh and returns its stdout. */
  ssh(command: string): string;
  /** Cuts every open connection, as a network drop would: the server side of each goes away. */
  dropConnections(): number;
  /** The pids of the per-connection sshd processes. */
  connectionPids(): number[];
  stop(): void;
}

/** Starts the server; tests call `sshSkipReason()` first. */
export async function startSshHost(): Promise<SshHost> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'muster-ssh-')));
  const localHome = join(dir, 'local-home');
  const remoteHome = join(dir, 'remote-home');
  const runtime = join(dir, 'run');
  for (const d of [localHome, join(remoteHome, 'bin'), runtime]) mkdirSync(d, { recursive: true, mode: 0o700 });
  chmodSync(runtime, 0o700);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(localHome, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'muster-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'muster-test-client', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  writeFileSync(join(remoteHome, 'bin', 'muster'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  const user = userInfo().username;
  // As root sshd wants its privilege separation directory; Debian creates it only at boot.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  for (let attempt = 1; ; attempt++) {
    const port = await getPort({ host: '127.0.0.1' });
    const sshdConfig = join(dir, 'sshd_config');
    writeFileSync(
      sshdConfig,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        'PidFile none',
        'UsePAM no',
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        `AllowUsers ${user}`,
        // The keys live under /tmp, which is world-writable: StrictModes would refuse them.
        'StrictModes no',
        'PrintMotd no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'MaxStartups 100',
        'MaxSessions 100',
        'LogLevel VERBOSE',
        `SetEnv PATH=${join(remoteHome, 'bin')}:/usr/local/bin:/usr/bin:/bin HOME=${remoteHome}`,
        '',
      ].join('\n'),
    );
    const sshd = spawn(SSHD, ['-D', '-e', '-f', sshdConfig], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    let log = '';
    sshd.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    let exited = false;
    sshd.once('exit', () => (exited = true));
    await waitFor(() => exited || log.includes('Server listening'), { timeout: 30_000, what: 'sshd to listen', describe: () => log });
    if (exited) {
      if (attempt < 5 && /Bind to port|Address already in use/.test(log)) continue;
      throw new Error(`sshd did not start:\n${log}`);
    }
    const sshConfig = join(dir, 'ssh_config');
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8').trim()}\n`);
    writeFileSync(
      sshConfig,
      [
        `Host ${SSH_ALIAS}`,
        '  HostName 127.0.0.1',
        `  Port ${port}`,
        `  User ${user}`,
        `  IdentityFile ${clientKey}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    return makeHost({ dir, port, remoteHome, sshConfig, runtime, sshd, getLog: () => log });
  }
}

function makeHost(o: { dir: string; port: number; remoteHome: string; sshConfig: string; runtime: string; sshd: ChildProcess; getLog: () => string }): SshHost {
  const sshdPid = o.sshd.pid!;
  const sshdStart = startOf(sshdPid);
  const env = { MUSTER_SSH_COMMAND: `ssh -F ${o.sshConfig}`, XDG_RUNTIME_DIR: o.runtime };
  // Once the listener is gone its pid may be another process's, and its children not ours.
  const listening = () => sshdStart !== null && startOf(sshdPid) === sshdStart;
  const connectionPids = () => (listening() ? childrenOf(sshdPid) : []);
  return {
    alias: SSH_ALIAS,
    port: o.port,
    dir: o.dir,
    remoteHome: o.remoteHome,
    sshConfig: o.sshConfig,
    env,
    sshdPid,
    log: o.getLog,
    ssh: (command) => execFileSync('ssh', ['-F', o.sshConfig, SSH_ALIAS, command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    connectionPids,
    dropConnections() {
      const pids = connectionPids();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      return pids.length;
    },
    stop() {
      // The per-connection processes first: a killed listener leaves them running.
      for (const pid of [...connectionPids(), ...(listening() ? [sshdPid] : [])]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      rmSync(o.dir, { recursive: true, force: true });
    },
  };
}

/** A host that runs agents: its git knows who commits there, as a developer's box does. */
export async function startAgentHost(): Promise<SshHost> {
  const host = await startSshHost();
  writeFileSync(join(host.remoteHome, '.gitconfig'), '[user]\n\tname = far agent\n\temail = far@muster.invalid\n');
  return host;
}

/** Stops the host's terminal workers of these work directories: they outlive their connections by design, and are the test's to end. */
export function stopHostWorkers(host: SshHost | undefined, dirs: readonly string[] = ['work']): void {
  for (const dir of dirs) {
    const pidFile = host && join(host.remoteHome, dir, '.muster', 'worker.pid');
    if (!pidFile || !existsSync(pidFile)) continue;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // gone already
    }
  }
}

/** Direct children of `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}
