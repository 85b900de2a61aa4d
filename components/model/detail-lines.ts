import { stripVTControlCharacters } from 'node:util';
import { failingPart } from '../../src/core/gate-output.js';
import { CONTEXT_LABELS, displayKey, keysFor, type KeyBinding, type KeyContext } from '../../src/keymap/index.js';
import { activityLabel } from '../../src/protocol/activity-label.js';
import { nextStepAfter } from '../../src/protocol/next-step.js';
import type { ConflictView, MergeEntry, TaskDetail } from '../../src/protocol/shapes.js';
import { clock } from '../text.js';
import type { Overlay } from './cockpit-state.js';

/** A line of the detail view; `tone` picks its theme colour. */
export interface DetailLine {
  text: string;
  tone?: 'bad' | 'warn' | 'ok' | 'accent' | 'dim';
  bold?: boolean;
}

/** The cockpit's words for a stopped merge's next step: the key of its key map, and where it works. */
export function nextStepKeys(reason: string | null | undefined, bindings: readonly KeyBinding[], here: KeyContext): string | null {
  const step = nextStepAfter(reason);
  if (!step) return null;
  const binding = bindings.find((b) => b.id === step.action);
  const key = keysFor(bindings, step.action)[0];
  if (!binding || key === undefined) return null;
  const where = binding.contexts.includes(here) ? '' : ` in the ${CONTEXT_LABELS[binding.contexts[0]!]}`;
  return `${displayKey(key)}${where} ${step.does}.`;
}

/** The failing part of a gate's output, failing lines marked, as the merges and detail views show it. */
export function gateLines(output: string, max = 40): DetailLine[] {
  return failingPart(stripVTControlCharacters(output), { max }).map((l) => ({ text: `  │ ${l.text}`, tone: l.failing ? 'bad' : 'dim' }));
}

/** What the last merge attempt of a task says, with the next step in the cockpit's keys. */
export function attemptLines(result: MergeEntry['result'], bindings: readonly KeyBinding[], here: KeyContext, width: number, maxGate = 40): DetailLine[] {
  if (!result) return [];
  const out: DetailLine[] = [];
  if (result.landed) out.push(...wrap(`Last merge: ${result.message}`, width).map((text) => ({ text, tone: 'ok' as const })));
  else {
    const step = nextStepKeys(result.reason, bindings, here);
    out.push(
      ...wrap(`Last merge attempt (${clock(result.at)}): ${result.message}${step ? ` ${step}` : ''}`, width).map((text) => ({ text, tone: 'bad' as const })),
    );
  }
  if (result.gates.length) out.push({ text: `Gates: ${result.gates.map((g) => `${g.name} ${g.ok ? '✓' : '✗'}`).join('  ')}` });
  if (!result.landed && result.gate) out.push(...gateLines(result.gate.output, maxGate));
  return out;
}

/** Splits text into lines of at most `width` columns, breaking at spaces where it can. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const room = Math.max(10, width - indent.length);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/(\s+)/)) {
      if ((line + word).length <= room) {
        line += word;
        continue;
      }
      if (line.trim()) out.push(indent + line.trimEnd());
      line = word.trimStart();
      while (line.length > room) {
        out.push(indent + line.slice(0, room));
        line = line.slice(room);
      }
    }
    out.push(indent + line.trimEnd());
  }
  return out;
}

const LABEL = 10;
const field = (label: string, value: string, width: number, tone?: DetailLine['tone']): DetailLine[] =>
  wrap(value, width - LABEL).map((text, i) => ({ text: `${i === 0 ? label.padEnd(LABEL) : ' '.repeat(LABEL)}${text}`, ...(tone ? { tone } : {}) }));

/**
 * Every line of a task's detail view: the full reason and prompt, the agent's summary, the
 * last merge attempt with the failing part of its gate output, conflicts, locks, ports,
 * branch, uncommitted work and commits.
 */
export function detailLines(d: TaskDetail, width: number, bindings: readonly KeyBinding[]): DetailLine[] {
  const t = d.task;
  const out: DetailLine[] = [];
  const activity = activityLabel(t);
  out.push({ text: `#${t.id} ${t.title}`, bold: true, tone: 'accent' });
  out.push(
    ...field(
      'State',
      `${t.state}${activity ? ` · ${activity}` : ''} · ${t.risk} risk · ${t.agent}${t.position !== null ? ` · queue position ${t.position}` : ''}`,
      width,
    ),
  );
  if (t.reason) out.push(...field('Reason', t.reason, width, t.state === 'failed' || t.state === 'stalled' ? 'bad' : undefined));
  if (t.after.length) out.push(...field('After', t.after.map((a) => `#${a}`).join(', '), width));
  out.push(...field('Branch', `${t.branch ?? '-'}${t.base ? ` (from ${t.base.slice(0, 7)})` : ''}`, width));
  if (t.worktree) out.push(...field('Worktree', t.worktree, width));
  if (t.ports)
    out.push(
      ...field(
        'Ports',
        `${t.ports.base}-${t.ports.last}${
          Object.keys(t.ports.named).length
            ? ` (${Object.entries(t.ports.named)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')})`
            : ''
        }`,
        width,
      ),
    );
  out.push(...field('Writes', t.writes.join(', ') || '-', width));
  if (t.reads.length) out.push(...field('Reads', t.reads.join(', '), width));
  out.push(
    ...field(
      'Locks',
      d.locks.length
        ? d.locks.map((l) => `${l.resource} (${l.mode}${l.declared ? ', declared' : ''}${l.state === 'stale' ? ', stale' : ''})`).join(', ')
        : 'none held',
      width,
    ),
  );
  if (t.summary) {
    out.push({ text: 'Summary (from the agent)', bold: true });
    out.push(...wrap(t.summary, width, '  ').map((text) => ({ text })));
  }
  const attempt = attemptLines(d.result, bindings, 'merges', width);
  if (attempt.length) out.push({ text: '' }, ...attempt);
  if (d.conflicts.length) {
    out.push({ text: '' }, { text: `Conflicts (${d.conflicts.length})`, bold: true });
    for (const c of d.conflicts)
      out.push(
        ...wrap(`${c.kind}: ${c.detail}`, width, '  ').map((text) => ({
          text,
          tone: c.kind === 'merge' || c.kind === 'lock' ? ('bad' as const) : ('warn' as const),
        })),
      );
  }
  if (d.uncommitted.length) {
    out.push({ text: '' }, ...wrap(`Not committed, so not merged: ${d.uncommitted.join(', ')}`, width).map((text) => ({ text, tone: 'warn' as const })));
    if (d.commitRefused)
      out.push(
        ...wrap(`The commit guard refused its commit at ${clock(d.commitRefused.at)}: ${d.commitRefused.details.join('; ')}`, width).map((text) => ({
          text,
          tone: 'warn' as const,
        })),
      );
  }
  out.push({ text: '' }, { text: `Commits (${d.commits.length})`, bold: true });
  for (const c of d.commits) out.push({ text: `  ${c.sha} ${c.subject}` });
  out.push({ text: `Files (${d.files.length})`, bold: true });
  for (const f of d.files) out.push({ text: `  ${f.added === null ? 'bin' : `+${f.added}`} ${f.removed === null ? '' : `-${f.removed}`}  ${f.path}` });
  if (t.feedback.length) {
    out.push({ text: `Feedback sent (${t.feedback.length})`, bold: true });
    t.feedback.forEach((f, i) =>
      out.push(...wrap(f, width, '     ').map((text, j) => ({ text: j === 0 ? `  ${`${i + 1}.`.padEnd(3)}${text.trimStart()}` : text }))),
    );
  }
  if (t.sessions.length) {
    out.push({ text: `Sessions (${t.sessions.length})`, bold: true });
    for (const s of t.sessions)
      out.push({
        text: `  ${s.n}. ${s.agent} ${clock(s.startedAt)}${s.endedAt ? `–${clock(s.endedAt)} exit ${s.exitCode ?? `signal ${s.signal}`}` : ' running'}`,
      });
  }
  out.push({ text: '' }, { text: 'Prompt', bold: true });
  if (t.prompt !== undefined) out.push(...wrap(t.prompt, width, '  ').map((text) => ({ text })));
  else out.push({ text: `  (no prompt text: ${t.promptError ?? 'not sent'}) ${t.promptPreview}`, tone: 'warn' });
  return out;
}

/** The detail view's lines for an overlay: loading, a refusal, or the task in full. */
export function overlayLines(
  o: Extract<Overlay, { kind: 'detail' }>,
  width: number,
  bindings: readonly KeyBinding[],
  live?: { conflicts: readonly ConflictView[] },
): DetailLine[] {
  if (o.error) return [{ text: o.error, tone: 'bad' }];
  if (!o.detail) return [{ text: `Loading #${o.tasks[o.index]}…`, tone: 'dim' }];
  // Conflicts come from the cockpit's live list: a scan that ends later shows at once.
  const id = o.detail.task.id;
  const detail = live ? { ...o.detail, conflicts: live.conflicts.filter((c) => c.tasks.includes(id)) } : o.detail;
  return detailLines(detail, width, bindings);
}
