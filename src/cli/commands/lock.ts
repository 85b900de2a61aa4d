import type { Command } from 'commander';
import { EXIT, MusterError } from '../../protocol/errors.js';
import type { LockView } from '../../protocol/shapes.js';
import { parseTaskId } from '../args.js';
import { printError, printJson, println, table } from '../output.js';
import { withClient } from '../session.js';

/** `30`, `30s`, `10m`, `2h`, `1d` → milliseconds. */
export function parseDuration(raw: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new MusterError('bad-input', `${flag} takes a duration such as 90, 30s, 10m or 2h, not "${raw}".`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's'] ?? 1000;
  const ms = Math.round(Number(m[1]) * unit);
  if (ms <= 0) throw new MusterError('bad-input', `${flag} must be longer than zero.`);
  return ms;
}

function ownerText(o: LockView['owner']): string {
  return 'task' in o ? `#${o.task}` : o.pid === 0 ? 'the operator' : `operator pid ${o.pid}`;
}

function age(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function locksTable(locks: LockView[]): string {
  if (!locks.length) return 'No locks are held.';
  return table(
    ['RESOURCE', 'MODE', 'OWNER', 'AGE', 'STATE'],
    locks.map((l) => [
      l.resource,
      l.mode,
      ownerText(l.owner),
      age(l.acquiredAt),
      `${l.state}${l.declared ? ' (declared)' : ''}${l.expiresAt && l.state === 'active' ? ` until ${l.expiresAt.slice(11, 19)}` : ''}`,
    ]),
  );
}

interface AcquireOptions {
  mode?: string;
  task?: string;
  ttl?: string;
  wait?: string;
  steal?: boolean;
  json?: boolean;
}

export function registerLockCommands(program: Command): void {
  const lock = program.command('lock').description('file locks: shared read, exclusive write, on paths, directories and globs');

  lock
    .command('acquire')
    .description('take locks on every path or glob given, or none (exit 3 names who holds what)')
    .argument('<paths...>', 'paths, directories (their whole subtree) or globs, relative to here')
    .option('--mode <mode>', 'read (shared) or write (exclusive)', 'write')
    .option('--task <id>', 'act for this task (default: the task of this worktree, else you)')
    .option('--ttl <duration>', 'the lock turns stale after this long (e.g. 30m)')
    .option('--wait <seconds>', 'queue for up to this long instead of failing at once')
    .option('--steal', 'operator only: take the locks from whoever holds them')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], o: AcquireOptions) => {
      if (o.mode !== 'read' && o.mode !== 'write') throw new MusterError('bad-input', `--mode is read or write, not "${o.mode}".`);
      const mode = o.mode;
      const r = await withClient((c) =>
        c.call('lock.acquire', {
          resources: paths,
          mode,
          task: o.task === undefined ? undefined : parseTaskId(o.task),
          ttlMs: o.ttl === undefined ? null : parseDuration(o.ttl, '--ttl'),
          waitMs: o.wait === undefined ? 0 : parseDuration(o.wait, '--wait'),
          steal: !!o.steal,
        }),
      );
      if (o.json) printJson(r);
      if (r.granted) {
        if (!o.json) println(`Locked ${r.locks.map((l) => `${l.resource} (${l.mode})`).join(', ')} for ${ownerText(r.locks[0]!.owner)}.`);
        return;
      }
      printError(`muster: not granted, nothing was locked:\n${r.conflicts.map((c) => `  ${c.detail}`).join('\n')}`);
      printError('Wait for it with --wait SECONDS, work elsewhere, or ask the operator (muster lock list).');
      process.exitCode = EXIT.conflict;
    });

  lock
    .command('release')
    .description('release locks you hold')
    .argument('[paths...]', 'paths or globs as they were acquired')
    .option('--all', 'every lock of this owner')
    .option('--task <id>', 'act for this task')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], o: { all?: boolean; task?: string; json?: boolean }) => {
      const r = await withClient((c) =>
        c.call('lock.release', { resources: paths, all: !!o.all, task: o.task === undefined ? undefined : parseTaskId(o.task) }),
      );
      if (o.json) {
        printJson(r);
        return;
      }
      if (r.released.length) println(`Released ${r.released.map((l) => l.resource).join(', ')}.`);
      if (r.notHeld.length) println(`Not held by you: ${r.notHeld.join(', ')}`);
      if (!r.released.length && !r.notHeld.length) println('You held no locks.');
    });

  lock
    .command('list')
    .description('every lock: resource, mode, owner, age, active or stale')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const locks = await withClient((c) => c.call('lock.list', {}));
      if (o.json) printJson(locks);
      else println(locksTable(locks));
    });

  lock
    .command('check')
    .description('exit 0 when these paths are free to write for the task, 3 when another holds them')
    .argument('<paths...>', 'paths or globs')
    .option('--task <id>', 'check for this task')
    .option('--mode <mode>', 'the access to check: write (default) or read', 'write')
    .option('--json', 'print as JSON')
    .action(async (paths: string[], o: { task?: string; mode?: string; json?: boolean }) => {
      if (o.mode !== 'read' && o.mode !== 'write') throw new MusterError('bad-input', `--mode is read or write, not "${o.mode}".`);
      const mode = o.mode;
      const r = await withClient((c) => c.call('lock.check', { paths, mode, task: o.task === undefined ? undefined : parseTaskId(o.task) }));
      if (o.json) printJson(r);
      else if (r.free) println('Free.');
      else println(r.conflicts.map((c) => c.detail).join('\n'));
      if (!r.free) process.exitCode = EXIT.conflict;
    });
}
