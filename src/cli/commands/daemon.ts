import type { Command } from 'commander';
import { connect, NotRunningError } from '../../client/connect.js';
import { MusterError } from '../../protocol/errors.js';
import { printJson, println, statusText, taskJson } from '../output.js';
import { withClient } from '../session.js';

export function registerDaemonCommands(program: Command): void {
  program
    .command('daemon')
    .description('run the supervisor in the foreground (other commands start it in the background)')
    .action(async () => {
      const { runDaemon } = await import('../../supervisor/daemon.js');
      process.exitCode = await runDaemon(process.cwd());
    });

  program
    .command('worker', { hidden: true })
    .description("host the agents' terminals beside the supervisor (the supervisor starts it), or on another host (--dir)")
    .option('--dir <path>', 'a work directory on this host for a supervisor on another machine (relative to home); no repository here')
    .option('--stdio', 'speak the worker protocol on stdin/stdout (what the supervisor runs over ssh), starting the worker of --dir if none runs')
    .action(async (o: { dir?: string; stdio?: boolean }) => {
      if (o.stdio) {
        if (o.dir === undefined) throw new MusterError('bad-input', 'muster worker --stdio needs --dir <work directory>.');
        const { runStdioBridge } = await import('../../adapters/worker/stdio-bridge.js');
        const code = await runStdioBridge(o.dir);
        // stdin stays open under ssh: nothing else would end this process.
        process.exit(code);
      }
      const { runWorker } = await import('../../adapters/worker/pty-host.js');
      process.exitCode = await runWorker(process.cwd(), 60_000, o.dir ?? null);
    });

  program
    .command('doctor')
    .description('check the store; with --recover, rebuild a damaged one from its last good copy and journal')
    .option('--recover', 'rebuild a damaged store (the damaged file is kept beside it)')
    .action(async (o: { recover?: boolean }) => {
      const { runDoctor } = await import('../../supervisor/daemon.js');
      process.exitCode = await runDoctor(process.cwd(), { recover: Boolean(o.recover) });
    });

  program
    .command('stop')
    .description('stop the supervisor; agents get SIGTERM, then SIGKILL, and their tasks stay restartable')
    .action(async () => {
      let client;
      try {
        ({ client } = await connect({ autostart: false }));
      } catch (e) {
        if (e instanceof NotRunningError) {
          println(e.message);
          return;
        }
        throw e;
      }
      const { pid } = await client.call('ping', {});
      const gone = new Promise<void>((resolve) => client.onDisconnect(resolve));
      await client.call('daemon.stop', {});
      await gone;
      println(`Stopped the muster supervisor (pid ${pid}).`);
    });

  program
    .command('status')
    .description('the supervisor, workers, tasks, locks and conflicts at a glance')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await withClient((c) => c.call('status', {}));
      if (o.json) printJson({ ...s, tasks: s.tasks.map(taskJson) });
      else println(statusText(s));
    });

  program
    .command('pause')
    .description('stop dispatching new tasks (running ones go on)')
    .action(async () => {
      await withClient((c) => c.call('dispatch.pause', {}));
      println('Dispatch paused: running agents go on, no new task starts. "muster resume" restarts it.');
    });

  program
    .command('resume')
    .description('dispatch again')
    .action(async () => {
      await withClient((c) => c.call('dispatch.resume', {}));
      println('Dispatch resumed.');
    });
}
