import type { Command } from 'commander';
import { setRemoteTarget } from '../client/connect.js';
import { parseRemoteTarget } from '../client/remote-target.js';
import { MusterError } from '../protocol/errors.js';
import { collect } from './args.js';

/** Commands that only make sense on the repository's own machine. */
const LOCAL_ONLY: Record<string, string> = {
  daemon: 'runs the supervisor in this terminal',
  init: 'writes the configuration of the repository here',
  proxy: 'is what --host runs on the other machine',
  guard: "is the commit guard of this machine's worktrees",
  hook: 'answers the hooks of an agent on this machine',
  mcp: 'serves the tools of an agent on this machine',
};

/** What the global options chose for this run (the cockpit reads `repos`). */
export interface GlobalOptions {
  host?: string;
  repo?: string[];
}

/**
 * `--host [user@]host[:path]` on every command and the cockpit: the command runs here against
 * the supervisor of that repository, over `ssh host muster proxy`. `--repo` (repeatable) names
 * the repositories the cockpit shows side by side.
 */
export function registerGlobalOptions(program: Command): void {
  program
    .option('--host <[user@]host[:path]>', 'run against the repository at path on host, over ssh (host may be a ~/.ssh/config alias)')
    .option(
      '--repo <path|host:path>',
      'a repository for the cockpit to show, local or remote; repeatable (default: ~/.config/muster/fleet.yaml and this repository)',
      collect,
    );
  program.hook('preAction', (_root, action) => {
    const o = action.optsWithGlobals<GlobalOptions>();
    const name = action === program ? null : commandPath(action, program);
    if (o.repo?.length && name !== null) {
      throw new MusterError(
        'bad-input',
        `--repo names the repositories the cockpit shows; for "muster ${name}" use --host [user@]host[:path], or run it in the repository.`,
      );
    }
    if (o.host === undefined) return;
    if (o.repo?.length)
      throw new MusterError('bad-input', 'Give either --host or --repo: for several repositories in one cockpit, repeat --repo (a remote one as host:path).');
    const why = name !== null ? LOCAL_ONLY[name] : undefined;
    if (why)
      throw new MusterError(
        'bad-input',
        `muster ${name} ${why}; it does not take --host. Run it on that machine (ssh ${o.host.split(':')[0]} muster ${name}).`,
      );
    setRemoteTarget(parseRemoteTarget(o.host));
  });
}

function commandPath(cmd: Command, root: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c !== root; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
