import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshSkipReason, startAgentHost, stopHostWorkers, type SshHost } from '../test/helpers/sshd.js';
import { withCleanup, type Cleanup } from './lib/cleanup.js';
import type { Bench, Figure } from './lib/figure.js';
import { addTask, benchRepo, BIN, musterJson, startSupervisor, testEnv, waitRunning } from './lib/muster.js';
import { cpuMs, descendants } from './lib/proc.js';
import { tempDir } from './lib/rigs.js';
import { median, nowMs, percentile, sleep, until } from './lib/stats.js';
import { TmuxServer } from './lib/tmux.js';

/** Runs the CLI to its end and returns how long it took; rejects on a non-zero exit. */
function timedCli(args: string[], cwd: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: testEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(nowMs() - t0) : reject(new Error(`muster ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/**
 * `muster attach <id>` (local or over ssh) in a tmux pane on an agent running `cat`, whose
 * terminal echoes what is typed: each press is timed from sending a key to the pane until the
 * typed text is on the captured screen.
 */
async function attachPresses(cleanup: Cleanup, cwd: string, args: string[], env: Record<string, string>, n: number, alphabet: string): Promise<number[]> {
  const display = TmuxServer.start({ cwd, command: [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' '), cols: 120, rows: 40, cleanup, env });
  const ctl = await display.control(cleanup);
  let typed = '';
  const press = async (ch: string): Promise<number> => {
    typed += ch;
    const t0 = nowMs();
    void ctl.sendKeys('main', ch);
    for (;;) {
      if ((await ctl.capture('main')).includes(typed)) return nowMs() - t0;
      if (nowMs() - t0 > 10_000) throw new Error(`"${typed}" did not appear within 10 s:\n${await ctl.capture('main')}`);
    }
  };
  // On the alternate screen, the terminal is raw: a key typed before would be echoed by the
  // pane's own line discipline, not by the agent. The first echo says the whole way is up.
  await until(() => display.format('main', '#{alternate_on}') === '1', 'the attach to take the screen', 30_000, 50);
  await sleep(300);
  // Each run types its own letters: the agent's screen still shows what the last run typed.
  await press(alphabet[0]!);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await sleep(40 + Math.random() * 60);
    times.push(await press(alphabet[1 + (i % (alphabet.length - 1))]!));
  }
  display.cmd('send-keys', '-t', 'main', 'C-]');
  await sleep(200);
  display.kill();
  return times;
}

/** A process's command name, or '' once it is gone. */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The `print` agent: a busy agent's pace of output, without end. */
const PRINTER =
  "let n = 0; setInterval(() => { let s = ''; for (let i = 0; i < 100; i++) s += `line ${++n} ${'x'.repeat(60)}\\r\\n`; process.stdout.write(s); }, 20);";

export const ssh: Bench = {
  name: 'ssh',
  method: [
    "The cost of reaching a repository through `--host` (ssh to `muster proxy`) against reaching it on this machine. A real OpenSSH server (`/usr/sbin/sshd`, Debian's openssh-server) runs on 127.0.0.1 with a generated host key and client key, as the tests run it; so the figures are what muster, ssh and the proxy add, with no network latency: on a real link add one round trip for each, and two for a CLI command. The ssh connection is shared (ControlMaster, as muster sets it up) and warmed by one unmeasured command first; the first command to a host pays for the ssh handshake as well.",
    'Keypress to screen: `muster attach <id>` in a 120×40 tmux pane, on an agent running `cat` (its terminal echoes), locally and with `--host`, and attached here to such an agent on the ssh host (`--on-host`). Each key (40; quick: 10), 40–100 ms apart, is timed from `send-keys` until `capture-pane` (polled back to back through a tmux control client) shows it. Dispatch: `muster task add` through the CLI until the agent has started (it touches a marker file, seen through inotify-backed polling), locally, with `--host` from a directory outside the repository, and locally with `--on-host` for an agent on the ssh host (`hosts:` names the same sshd, with its own HOME and work directory) (5 each; quick: 2, after one warm-up of each, the one on the host also cloning the repository there; each task is cancelled once started). CLI round trip: `muster status` to its exit, locally and with `--host` (10 each; quick: 3). Supervisor CPU: utime+stime of the supervisor process itself (/proc/<pid>/stat) over 8 s (quick: 3 s), a second after an agent that prints 100 lines of 70 characters every 20 ms has started with nothing viewing it, here and then on the ssh host.',
  ].join('\n\n'),
  async run({ quick, log }) {
    const skip = sshSkipReason();
    if (skip) throw new Error(`the ssh benchmark needs an OpenSSH server: ${skip}`);
    return withCleanup(async (cleanup) => {
      const host: SshHost = await startAgentHost();
      cleanup.defer('stop the test sshd', () => host.stop());
      // Its worker outlives its connections by design (agents keep running while the link is down).
      // Stopped after the supervisor (cleanups run last first), which would otherwise start another.
      cleanup.defer("stop the host's worker", () => stopHostWorkers(host));
      const outside = tempDir(cleanup, 'ssh-bench');
      const markers = join(outside, 'started');
      mkdirSync(markers);
      const repo = benchRepo(cleanup, {
        agents: {
          touch: { command: 'sh', args: ['-c', 'touch "$0/started-$MUSTER_TASK_ID"; exec sleep 1000000', markers] },
          echo: { command: 'cat', args: [] },
          // A busy agent's output: 100 lines of 70 characters every 20 ms (350 kB/s).
          print: { command: process.execPath, args: ['-e', PRINTER] },
        },
        defaultAgent: 'touch',
        maxWorkers: 16,
        // The same sshd is also a host that runs agents (`hosts:`): its own HOME and work directory.
        extraConfig: ['hosts:', `  far: { ssh: ${host.alias}, max_workers: 4, dir: work }`],
      });
      const supervisor = await startSupervisor(repo.dir, 'ssh-supervisor', host.env);
      const remote = ['--host', `${host.alias}:${repo.dir}`];
      const env = host.env;
      // Warms the shared ssh connection and both CLIs' files in the page cache.
      await timedCli([...remote, 'status'], outside, env);
      await timedCli(['status'], repo.dir, {});

      const rounds = quick ? 3 : 10;
      const localStatus: number[] = [];
      const sshStatus: number[] = [];
      for (let i = 0; i < rounds; i++) {
        localStatus.push(await timedCli(['status'], repo.dir, {}));
        sshStatus.push(await timedCli([...remote, 'status'], outside, env));
      }
      log(`status: local ${median(localStatus).toFixed(0)} ms, over ssh ${median(sshStatus).toFixed(0)} ms`);

      let lastId = 0;
      /** `cli`: the CLI here; `ssh`: the CLI with `--host`; `host`: the CLI here, the agent on the ssh host (`--on-host`). */
      const dispatchVia = async (via: 'cli' | 'ssh' | 'host'): Promise<number> => {
        const id = ++lastId;
        const t0 = nowMs();
        const cli =
          via === 'ssh'
            ? timedCli([...remote, 'task', 'add', `ssh ${id}`], outside, env)
            : via === 'host'
              ? timedCli(['task', 'add', `on the host ${id}`, '--on-host', 'far'], repo.dir, env)
              : timedCli(['task', 'add', `local ${id}`], repo.dir, {});
        const marker = join(markers, `started-${id}`);
        await until(() => existsSync(marker), `task #${id}'s agent to start`, 60_000, 2);
        const took = nowMs() - t0;
        await cli;
        await timedCli(['task', 'cancel', String(id)], repo.dir, {});
        await sleep(quick ? 300 : 800);
        return took;
      };
      // The first task on the host also pays for its clone of the repository.
      await dispatchVia('cli');
      await dispatchVia('ssh');
      await dispatchVia('host');
      const runs = quick ? 2 : 5;
      const localDispatch: number[] = [];
      const sshDispatch: number[] = [];
      const hostDispatch: number[] = [];
      for (let i = 0; i < runs; i++) {
        localDispatch.push(await dispatchVia('cli'));
        sshDispatch.push(await dispatchVia('ssh'));
        hostDispatch.push(await dispatchVia('host'));
      }
      log(
        `dispatch: local ${median(localDispatch).toFixed(0)} ms, over ssh ${median(sshDispatch).toFixed(0)} ms, agent on the host ${median(hostDispatch).toFixed(0)} ms`,
      );

      const echo = await addTask(repo.dir, 'echo', { agent: 'echo' });
      await waitRunning(repo.dir, [echo.id]);
      const n = quick ? 10 : 40;
      const localKeys = await attachPresses(cleanup, repo.dir, ['attach', String(echo.id)], {}, n, '>abcdefghijklmnopqrstuvwxyz');
      const sshKeys = await attachPresses(cleanup, outside, [...remote, 'attach', String(echo.id)], env, n, '=ABCDEFGHIJKLMNOPQRSTUVWXYZ');
      log(`keypress: local p50 ${median(localKeys).toFixed(1)} ms, over ssh p50 ${median(sshKeys).toFixed(1)} ms`);
      // The agent on the ssh host, attached here: its terminal and screen are there.
      const farEcho = await addTask(repo.dir, 'echo far', { agent: 'echo', onHost: 'far' });
      await waitRunning(repo.dir, [farEcho.id]);
      const hostKeys = await attachPresses(cleanup, repo.dir, ['attach', String(farEcho.id)], {}, n, '<0123456789');
      log(`keypress: agent on the ssh host p50 ${median(hostKeys).toFixed(1)} ms`);

      // The supervisor's CPU while an agent prints and nobody watches it: here, then on the host.
      const window = quick ? 3000 : 8000;
      const printing = async (onHost?: string): Promise<{ supervisor: number; ssh: number }> => {
        const t = await addTask(repo.dir, `prints ${onHost ?? 'here'}`, { agent: 'print', onHost });
        await waitRunning(repo.dir, [t.id]);
        await sleep(1000);
        const sshPids = descendants(supervisor).filter((p) => commOf(p) === 'ssh');
        const sshCpu = () => sshPids.reduce((sum, p) => sum + (cpuMs(p) || 0), 0);
        const [c0, s0, t0] = [cpuMs(supervisor), sshCpu(), nowMs()];
        await sleep(window);
        const took = nowMs() - t0;
        const used = { supervisor: ((cpuMs(supervisor) - c0) / took) * 100, ssh: ((sshCpu() - s0) / took) * 100 };
        await musterJson(repo.dir, ['task', 'cancel', String(t.id)]);
        return used;
      };
      const hereCpu = await printing();
      const farCpu = await printing('far');
      log(
        `supervisor CPU while an agent prints: here ${hereCpu.supervisor.toFixed(1)}%, on the ssh host ${farCpu.supervisor.toFixed(1)}% (its ssh ${farCpu.ssh.toFixed(1)}%)`,
      );

      const ms = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)}, p95 ${percentile(xs, 95).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms`;
      const figures: Figure[] = [
        {
          bench: 'ssh',
          name: 'keypress to screen p50, attached over ssh',
          unit: 'ms',
          muster: percentile(sshKeys, 50),
          baseline: percentile(localKeys, 50),
          baselineLabel: 'attached locally',
          target: { kind: 'none' },
        },
        {
          bench: 'ssh',
          name: 'keypress to screen p95, attached over ssh',
          unit: 'ms',
          muster: percentile(sshKeys, 95),
          baseline: percentile(localKeys, 95),
          baselineLabel: 'attached locally',
          target: { kind: 'none' },
          detail: `${n} keys each. Over ssh: ${ms(sshKeys)}; locally: ${ms(localKeys)}. Loopback: add one network round trip per key on a real link.`,
        },
        {
          bench: 'ssh',
          name: 'keypress to screen p50, an agent on the ssh host attached here',
          unit: 'ms',
          muster: percentile(hostKeys, 50),
          baseline: percentile(localKeys, 50),
          baselineLabel: 'an agent on this machine',
          target: { kind: 'none' },
          detail: `${n} keys each. On the host: ${ms(hostKeys)}; here: ${ms(localKeys)}. The host's worker emulates the agent's screen and sends the attach its changed rows over ssh.`,
        },
        {
          bench: 'ssh',
          name: 'supervisor CPU while an agent on the ssh host prints (nothing viewing it)',
          unit: '% of a core',
          muster: farCpu.supervisor,
          baseline: hereCpu.supervisor,
          baselineLabel: 'an agent on this machine printing the same',
          target: { kind: 'none' },
          detail: `${window / 1000} s each, 350 kB/s of output; the supervisor's own process (not its terminal worker, nor its ssh client, which used ${farCpu.ssh.toFixed(1)}% for the host). Its screen is emulated where the agent runs, so the output does not cross ssh unless something here reads it.`,
        },
        {
          bench: 'ssh',
          name: 'dispatch through the CLI over ssh (task add → agent started)',
          unit: 'ms',
          muster: median(sshDispatch),
          baseline: median(localDispatch),
          baselineLabel: 'the CLI locally',
          target: { kind: 'none' },
          detail: `medians of ${runs}; over ssh: ${sshDispatch.map((x) => x.toFixed(0)).join(', ')} ms; locally: ${localDispatch.map((x) => x.toFixed(0)).join(', ')} ms`,
        },
        {
          bench: 'ssh',
          name: 'dispatch to an agent on an ssh host (task add --on-host → agent started there)',
          unit: 'ms',
          muster: median(hostDispatch),
          baseline: median(localDispatch),
          baselineLabel: 'an agent on this machine',
          target: { kind: 'none' },
          detail: `medians of ${runs}; on the host: ${hostDispatch.map((x) => x.toFixed(0)).join(', ')} ms; here: ${localDispatch.map((x) => x.toFixed(0)).join(', ')} ms. The supervisor pushes the task's branch to the host's clone with git over ssh, then its worker there makes the worktree and starts the agent`,
        },
        {
          bench: 'ssh',
          name: 'CLI round trip over ssh (muster status)',
          unit: 'ms',
          muster: median(sshStatus),
          baseline: median(localStatus),
          baselineLabel: 'muster status locally',
          target: { kind: 'none' },
          detail: `medians of ${rounds}; over ssh the command starts muster twice (here and the proxy there) and crosses ssh`,
        },
      ];
      return figures;
    });
  },
};
