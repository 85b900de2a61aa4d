import type { StatusView, TaskView } from '../protocol/shapes.js';

/** Writes `--json` output: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function println(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A plain aligned table; the last column is never padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The `--json` shape of a task (spec §11): these fields at least, none renamed. */
export function taskJson(t: TaskView): Record<string, unknown> {
  return {
    id: t.id,
    title: t.title,
    state: t.state,
    agent: t.agent,
    risk: t.risk,
    writes: t.writes,
    reads: t.reads,
    after: t.after,
    branch: t.branch,
    worktree: t.worktree,
    ports: t.ports ? { base: t.ports.base, last: t.ports.last, named: t.ports.named } : null,
    activity: t.activity,
    reason: t.reason,
    prompt: t.prompt,
    position: t.position,
    base: t.base,
    activitySince: t.activitySince,
    sessions: t.sessions,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export function tasksTable(tasks: TaskView[]): string {
  if (!tasks.length) return 'No tasks. Add one with: muster task add "title" --prompt "what to do"';
  return table(
    ['ID', 'STATE', 'RISK', 'AGENT', 'ACTIVITY', 'TITLE', 'REASON'],
    tasks.map((t) => [`#${t.id}`, t.state, t.risk, t.agent, t.state === 'running' ? t.activity : '', truncate(t.title, 48), t.reason ?? '']),
  );
}

export function taskDetails(t: TaskView): string {
  const rows: [string, string][] = [
    ['Task', `#${t.id} ${t.title}`],
    ['State', t.reason ? `${t.state} (${t.reason})` : t.state],
    ['Agent', `${t.agent}${t.state === 'running' ? ` · ${t.activity} since ${t.activitySince.slice(11, 16)}` : ''}`],
    ['Risk', t.risk],
    ['Queue', t.position === null ? '-' : `position ${t.position}`],
    ['After', t.after.length ? t.after.map((a) => `#${a}`).join(', ') : '-'],
    ['Writes', t.writes.join(', ') || '-'],
    ['Reads', t.reads.join(', ') || '-'],
    ['Branch', t.branch ?? '-'],
    ['Worktree', t.worktree ?? '-'],
    ['Ports', t.ports ? `${t.ports.base}-${t.ports.last}${Object.keys(t.ports.named).length ? ` (${Object.entries(t.ports.named).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}` : '-'],
    ['Sessions', String(t.sessions.length)],
  ];
  return `${rows.map(([k, v]) => `${k.padEnd(9)} ${v}`).join('\n')}\n\n${t.prompt}`;
}

export function statusText(s: StatusView): string {
  const counts = Object.entries(s.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const head = [
    `Repository  ${s.repo}`,
    `Target      ${s.target}${s.targetTip ? ` @ ${s.targetTip.slice(0, 10)}` : ' (no commits yet)'}`,
    `Supervisor  pid ${s.daemon.pid}, since ${s.daemon.startedAt.replace('T', ' ').slice(0, 19)}`,
    `Workers     ${s.workers.running}/${s.workers.max} running${s.paused ? ' · dispatch PAUSED (muster resume)' : ''}`,
    `Tasks       ${counts || 'none'}`,
    `Locks       ${s.locks.length}   Conflicts ${s.conflicts.length}   Blockers ${s.blockers.unread} unread`,
  ];
  if (s.configError) head.push(`Config      ${s.configError}`);
  return `${head.join('\n')}\n\n${tasksTable(s.tasks)}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
