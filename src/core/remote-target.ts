import { ok, refuse, type Result } from './result.js';

/**
 * A repository on another machine, as `--host [user@]host[:path]` names it: `host` is what
 * ssh is given (a `~/.ssh/config` alias or `user@name`), `path` the repository there (relative
 * paths are relative to the remote login directory; none means the login directory itself).
 */
export interface RemoteTarget {
  host: string;
  path: string | null;
}

/** A repository of a fleet: a directory here, or one on another machine. */
export type RepoSpec = { kind: 'local'; path: string } | { kind: 'remote'; target: RemoteTarget };

const EXAMPLE = 'expected [user@]host[:path], e.g. build-box:/srv/app or alice@build-box:src/app';

/**
 * Parses `[user@]host[:path]`. An IPv6 address goes in brackets (`[::1]:/srv/app`). The host
 * may not start with `-`, so ssh can never read it as an option.
 */
export function parseRemoteTarget(spec: string): Result<RemoteTarget> {
  const raw = spec.trim();
  let host: string;
  let rest: string | null;
  const bracket = /^((?:[^@\s[\]]+@)?)\[([^\]]+)\](?::(.*))?$/s.exec(raw);
  if (bracket) {
    host = `${bracket[1]}${bracket[2]}`;
    rest = bracket[3] ?? null;
  } else {
    const colon = raw.indexOf(':');
    host = colon < 0 ? raw : raw.slice(0, colon);
    rest = colon < 0 ? null : raw.slice(colon + 1);
  }
  if (!host || /\s/.test(host) || host.startsWith('-') || host.endsWith('@') || host.includes('/')) return refuse('bad-input', `"${spec}": ${EXAMPLE}.`);
  if (rest !== null && rest.includes('\0')) return refuse('bad-input', `"${spec.replace(/\0/g, '\\0')}": a path cannot contain a NUL byte.`);
  return ok({ host, path: rest === null || rest === '' ? null : rest });
}

/**
 * A repository as `--repo` or the fleet file names it. Like scp and git: a colon before any
 * slash makes it remote (`box:/srv/app`); a path (`../app`, `/srv/a:b`, `~/app`) is local.
 */
export function parseRepoSpec(spec: string): Result<RepoSpec> {
  const raw = spec.trim();
  if (!raw) return refuse('bad-input', 'an empty repository names nothing; give a directory or host:path.');
  const colon = raw.indexOf(':');
  const slash = raw.indexOf('/');
  const remote = raw.startsWith('[') || (colon > 0 && (slash < 0 || colon < slash));
  if (!remote) return raw.includes('\0') ? refuse('bad-input', 'a path cannot contain a NUL byte.') : ok({ kind: 'local', path: raw });
  const t = parseRemoteTarget(raw);
  return t.ok ? ok({ kind: 'remote', target: t.value }) : t;
}

/** How a target is shown: `host:path`, or `host` for the login directory. */
export function formatRemoteTarget(t: RemoteTarget): string {
  return t.path === null ? t.host : `${t.host}:${t.path}`;
}
