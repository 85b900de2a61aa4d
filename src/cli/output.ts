import { stripVTControlCharacters } from 'node:util';
import { activitySourceText } from '../core/activity.js';
import { displayLine, displayText, terminalSafeJson } from '../core/display-text.js';
import { failingPart } from '../core/gate-output.js';
import { activityLabel } from '../protocol/activity-label.js';
import { workersLabel } from '../protocol/workers-label.js';
import { nextStepAfter, nextStepCommand } from '../protocol/next-step.js';
import type { StatusView, TaskDetail, TaskView } from '../protocol/shapes.js';

/** Writes `--json` output: one JSON document on stdout, with the real text of every field. */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`);
}

/**
 * Human output. Everything shown passes through here or `printError`, so text from tasks,
 * agents and git never reaches the terminal as control sequences.
 */
export function println(text = ''): void {
  process.stdout.write(`${displayText(text)}\n`);
}

/** Human output on stderr: messages, refusals, gate output. */
export function printError(text: string): void {
  process.stderr.write(`${displayText(text)}\n`);
}

/** A plain aligned table; the last column is never padded; a cell is one line, whatever it holds. */
export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(displayLine));
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
    ...(t.prompt === undefined ? {} : { prompt: t.prompt }),
    ...(t.promptError === undefined ? {} : { promptError: t.promptError }),
    promptBytes: t.promptBytes,
    promptPreview: t.promptPreview,
    position: t.position,
    base: t.base,
    activitySince: t.activitySince,
    sessions: t.sessions,
    activitySource: t.activitySource,
    session: t.session,
    conversations: t.conversations,
    summary: t.summary,
    idleWithWork: t.idleWithWork,
    integration: t.integration,
    host: t.host,
    feedback: t.feedback,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export function tasksTable(tasks: TaskView[]): string {
  if (!tasks.length) return 'No tasks. Add one with: muster task add "title" --prompt "what to do"';
  return table(
    ['ID', 'STATE', 'RISK', 'AGENT', 'ACTIVITY', 'TITLE', 'REASON'],
    tasks.map((t) => [`#${t.id}`, t.state, t.risk, t.agent, activityLabel(t, { since: false }), truncate(t.title, 48), t.reason ?? '']),
  );
}

export function taskDetails(t: TaskView): string {
  const rows: [string, string][] = [
    ['Task', `#${t.id} ${t.title}`],
    ['State', t.reason ? `${t.state} (${t.reason})` : t.state],
    [
      'Agent',
      `${t.agent}${t.state === 'running' ? ` · ${activityLabel(t, { since: false })} since ${t.activitySince.slice(11, 16)} (${activitySourceText(t.activitySource)})` : ''}`,
    ],
    ['Risk', t.risk],
    ['Queue', t.position === null ? '-' : `position ${t.position}`],
    ['After', t.after.length ? t.after.map((a) => `#${a}`).join(', ') : '-'],
    ['Writes', t.writes.join(', ') || '-'],
    ['Reads', t.reads.join(', ') || '-'],
    ['Branch', t.branch ?? '-'],
    ['Worktree', t.worktree ?? '-'],
    [
      'Ports',
      t.ports
        ? `${t.ports.base}-${t.ports.last}${
            Object.keys(t.ports.named).length
              ? ` (${Object.entries(t.ports.named)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ')})`
              : ''
          }`
        : '-',
    ],
    ['Sessions', `${t.sessions.length}${t.session ? ` (conversation ${t.session})` : ''}`],
  ];
  if (t.idleWithWork) rows.push(['Attention', `idle with commits on its branch. ${nextStepCommand(nextStepAfter('idle-with-work')!, t.id)}`]);
  if (t.summary) rows.push(['Summary', t.summary]);
  return `${rows.map(([k, v]) => `${k.padEnd(9)} ${displayLine(v)}`).join('\n')}\n\n${t.prompt ?? (t.promptError ? `(no prompt: ${t.promptError})` : t.promptPreview)}`;
}

/** `task show`: the task, then what the detail view shows of its work, last merge attempt and conflicts. */
export function taskDetailText(d: TaskDetail): string {
  const t = d.task;
  const out = [taskDetails(t)];
  const section = (title: string, lines: string[]) => {
    if (lines.length) out.push(`${title}\n${lines.map((l) => `  ${l}`).join('\n')}`);
  };
  section(
    'Locks',
    d.locks.map((l) => `${l.resource} (${l.mode}${l.declared ? ', declared' : ''}${l.state === 'stale' ? ', stale' : ''})`),
  );
  const r = d.result;
  if (r && !r.landed) {
    const step = nextStepAfter(r.reason);
    const lines = [r.message, ...(step ? [nextStepCommand(step, t.id)] : [])];
    if (r.gate)
      lines.push(`the failing part of the ${r.gate.name} gate's output:`, ...failingPart(stripVTControlCharacters(r.gate.output)).map((l) => `│ ${l.text}`));
    section('Last merge attempt', lines);
  }
  section(
    'Conflicts',
    d.conflicts.map((c) => `${c.kind}: ${c.detail}`),
  );
  const refused =
    d.commitRefused && d.uncommitted.length
      ? [`the commit guard refused its commit at ${new Date(d.commitRefused.at).toTimeString().slice(0, 5)}: ${d.commitRefused.details.join('; ')}`]
      : [];
  section('Not committed, so not merged', [...d.uncommitted, ...refused]);
  section(
    `Commits (${d.commits.length})`,
    d.commits.map((c) => `${c.sha} ${c.subject}`),
  );
  section(
    `Files (${d.files.length})`,
    d.files.map((f) => `${f.added === null ? 'bin' : `+${f.added}`} ${f.removed === null ? '' : `-${f.removed}`}  ${f.path}`),
  );
  section(
    'Feedback sent',
    t.feedback.map((f, i) => `${i + 1}. ${f.split('\n')[0]}`),
  );
  return out.join('\n\n');
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
    `Workers     ${workersLabel(s.workers, ' running')}${s.paused ? ' · dispatch PAUSED (muster resume)' : ''}`,
    `Tasks       ${counts || 'none'}`,
    `Locks       ${s.locks.length}   Conflicts ${s.conflicts.length}   Blockers ${s.blockers.unread} unread`,
  ];
  if (s.configError) head.push(`Config      ${s.configError}`);
  return `${head.join('\n')}\n\n${tasksTable(s.tasks)}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
