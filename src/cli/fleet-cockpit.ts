import { existsSync } from 'node:fs';
import { connect } from '../client/connect.js';
import { FleetClient, type FleetMember } from '../client/fleet-client.js';
import { connectRemote } from '../client/remote-connect.js';
import { ResilientClient } from '../client/resilient-client.js';
import { parseRemoteTarget, parseRepoSpec, type RepoSpec } from '../core/remote-target.js';
import { fleetFile } from '../paths/fleet-file.js';
import { locateRepo } from '../paths/repo.js';
import { MusterError } from '../protocol/errors.js';
import type { GlobalOptions } from './global-options.js';

/** A repository of the cockpit: where, what the header calls it, how muster runs there. */
export interface CockpitRepo {
  name: string;
  spec: RepoSpec;
  remoteCommand: string | null;
}

/** What `muster` with no command shows: this repository as ever, or a fleet. */
export type CockpitPlan = { kind: 'local'; cwd: string } | { kind: 'fleet'; repos: CockpitRepo[]; tolerant: boolean; current?: number };

/**
 * `--host` → that repository over ssh; `--repo`… → exactly those; else the fleet file's
 * repositories with this one (if we are in one) first; else this repository alone.
 */
export async function cockpitPlan(o: GlobalOptions, cwd = process.cwd()): Promise<CockpitPlan> {
  const file = fleetFile();
  // The plain cockpit pays for no YAML parser.
  if (o.host === undefined && !o.repo?.length && !existsSync(file)) return { kind: 'local', cwd };
  const { defaultName, loadFleet, localPath } = await import('../config/fleet.js');
  const repo = (spec: RepoSpec, remoteCommand: string | null = null): CockpitRepo => ({ name: defaultName(spec), spec, remoteCommand });
  if (o.host !== undefined) {
    const target = parseRemoteTarget(o.host);
    if (!target.ok) throw new MusterError('bad-input', `--host ${target.error.message}`);
    return { kind: 'fleet', repos: [repo({ kind: 'remote', target: target.value })], tolerant: false };
  }
  if (o.repo?.length) {
    const repos = o.repo.map((raw) => {
      const spec = parseRepoSpec(raw);
      if (!spec.ok) throw new MusterError('bad-input', `--repo ${spec.error.message}`);
      return repo(spec.value.kind === 'local' ? { kind: 'local', path: localPath(spec.value.path, cwd) } : spec.value);
    });
    return single(repos) ?? { kind: 'fleet', repos: named(repos), tolerant: true };
  }
  let fleet;
  try {
    fleet = loadFleet(file);
  } catch (e) {
    throw new MusterError('config', (e as Error).message);
  }
  if (!fleet) return { kind: 'local', cwd };
  const repos: CockpitRepo[] = fleet.repos.map((r) => ({ name: r.name, spec: r.spec, remoteCommand: r.remoteCommand }));
  const here = repoRootOf(cwd);
  const listed = here ? repos.findIndex((r) => r.spec.kind === 'local' && r.spec.path === here) : -1;
  if (here && listed < 0) repos.unshift(repo({ kind: 'local', path: here }));
  // The repository you are in is the one on screen first.
  return single(repos) ?? { kind: 'fleet', repos: named(repos), tolerant: true, current: Math.max(0, listed) };
}

/** One local repository is the plain cockpit, whatever named it. */
function single(repos: CockpitRepo[]): CockpitPlan | null {
  const only = repos.length === 1 ? repos[0]!.spec : null;
  return only?.kind === 'local' ? { kind: 'local', cwd: only.path } : null;
}

/** Two repositories both called `app` get told apart by their place in the list. */
function named(repos: CockpitRepo[]): CockpitRepo[] {
  const seen = new Map<string, number>();
  return repos.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name}#${n}` };
  });
}

function repoRootOf(cwd: string): string | null {
  try {
    return locateRepo(cwd).mainRoot;
  } catch {
    return null;
  }
}

/**
 * One link per repository, each to its own supervisor, each reconnecting on its own. With
 * `tolerant`, a repository that cannot be reached now opens as "connection lost" and keeps
 * being retried; otherwise (one `--host`) its error is the command's.
 */
export async function openFleet(plan: Extract<CockpitPlan, { kind: 'fleet' }>): Promise<FleetClient> {
  const members = await Promise.all(
    plan.repos.map(async (r): Promise<FleetMember> => {
      const spec = r.spec;
      const open =
        spec.kind === 'local'
          ? async (again: boolean) => (await connect({ cwd: spec.path, autostart: !again, remote: null })).client
          : (again: boolean) =>
              connectRemote(spec.target, { start: !again, interactive: !again, ...(r.remoteCommand ? { remoteCommand: r.remoteCommand } : {}) });
      const client = plan.tolerant ? await ResilientClient.start(open, r.name) : await ResilientClient.connect(open, r.name);
      return { name: r.name, client };
    }),
  );
  const fleet = new FleetClient(members);
  if (plan.current) fleet.switchTo(plan.current);
  await fleet.start();
  return fleet;
}
