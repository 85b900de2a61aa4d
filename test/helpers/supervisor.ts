import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { MusterClient } from '../../src/client/client.js';
import { connect } from '../../src/client/connect.js';
import { screenEventSchema, type TaskView } from '../../src/protocol/shapes.js';
import { waitFor } from './wait.js';

/** An in-process client of a test repository's real supervisor (started on demand). */
export async function clientFor(dir: string): Promise<MusterClient> {
  return (await connect({ cwd: dir })).client;
}

export async function task(client: MusterClient, id: number): Promise<TaskView> {
  return client.call('task.show', { id });
}

/**
 * Waits until task `id` satisfies `pred`, printing every task on timeout, and the screen, processes and logs behind it.
 * An agent's run takes seconds alone, but each commit runs muster's hooks (a node start for the
 * lock guard): at CI's load of 15–24 two commits took over 20 s once (merge-queue, squash).
 */
export async function waitForTask(client: MusterClient, id: number, pred: (t: TaskView) => boolean, what: string, timeout = 60_000): Promise<TaskView> {
  return waitFor(
    async () => {
      const t = await task(client, id);
      return pred(t) ? t : null;
    },
    { timeout, what: `#${id} ${what}`, describe: () => describeTasks(client, id) },
  );
}

/** Every task's state, and for `id` what a person would look at to see why it is stuck. */
export async function describeTasks(client: MusterClient, id: number): Promise<string> {
  const tasks = await client.call('task.list', {});
  const parts = [
    JSON.stringify(
      tasks.map((t) => ({ id: t.id, state: t.state, reason: t.reason, activity: t.activity })),
      null,
      1,
    ),
  ];
  const t = tasks.find((x) => x.id === id);
  if (t?.state === 'running') {
    const screen = await Promise.race([screenOf(client, id), new Promise<string>((r) => setTimeout(() => r('(no screen within 3 s)'), 3000))]).catch(
      (e: Error) => `(no screen: ${e.message})`,
    );
    parts.push(`--- #${id}'s screen ---\n${screen.trimEnd()}`);
  }
  parts.push(`--- processes ---\n${spawnSync('ps', ['-eo', 'pid,ppid,sid,stat,etimes,args', '--forest'], { encoding: 'utf8' }).stdout.slice(-6000)}`);
  const common = t?.worktree
    ? spawnSync('git', ['-C', t.worktree, 'rev-parse', '--path-format=absolute', '--git-common-dir'], { encoding: 'utf8' }).stdout.trim()
    : '';
  for (const log of ['daemon.log', 'worker.log']) {
    const file = common && join(common, 'muster', log);
    if (file && existsSync(file)) parts.push(`--- ${log} (end) ---\n${readFileSync(file, 'utf8').slice(-3000)}`);
  }
  return parts.join('\n');
}

export const inState =
  (...states: TaskView['state'][]) =>
  (t: TaskView) =>
    states.includes(t.state);

/** The agent's screen as plain text lines, through the same stream a full-screen client sees. */
export async function screenOf(client: MusterClient, id: number): Promise<string> {
  let off = () => undefined as unknown;
  const frame = new Promise<string>((resolve) => {
    off = client.onEvent((e) => {
      const ev = e.topic === 'screen' ? screenEventSchema.safeParse(e.data) : null;
      if (!ev?.success || ev.data.task !== id || !('rows' in ev.data) || !ev.data.full) return;
      const lines: string[] = [];
      for (const [y, text] of ev.data.rows) lines[y] = stripVTControlCharacters(text).trimEnd();
      resolve(Array.from(lines, (l) => l ?? '').join('\n'));
    });
  });
  try {
    await client.call('term.attach', { task: id });
    return await frame;
  } finally {
    off();
    await client.call('term.detach', { task: id });
  }
}
