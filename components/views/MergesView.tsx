import { Box, Text } from 'ink';
import { displayLine } from '../../src/core/display-text.js';
import { displayKey, keysFor, type KeyBinding } from '../../src/keymap/index.js';
import { mergeStepWords } from '../../src/protocol/merge-steps.js';
import type { ConflictView, MergeEntry } from '../../src/protocol/shapes.js';
import { selection, type CockpitState } from '../model/cockpit-state.js';
import { attemptLines, type DetailLine } from '../model/detail-lines.js';
import { clock } from '../text.js';
import type { Theme } from '../theme.js';
import { Table, type Column } from './Table.js';

/**
 * The merge queue, and for the selected task: commits, files, gate results and findings.
 * Findings and the merge in flight come from the cockpit's live state (conflicts and task
 * events), so they never wait for the queue to be loaded again.
 */
export function MergesView({ s, theme, height, bindings }: { s: CockpitState; theme: Theme; height: number; bindings: readonly KeyBinding[] }) {
  const m = s.merges;
  if (!m) return <Text dimColor>Loading the merge queue…</Text>;
  const sel = selection(s, 'merges');
  const entry = m.queue.find((e) => e.task.id === sel) ?? null;
  const listHeight = Math.min(Math.max(3, m.queue.length + 1), Math.floor(height / 3));
  const findings = (e: MergeEntry) => s.conflicts.filter((c) => c.tasks.includes(e.task.id));
  const live = (e: MergeEntry) => s.tasks.find((t) => t.id === e.task.id) ?? e.task;
  const columns: Column<MergeEntry>[] = [
    { title: '#', width: 3, value: (e) => String(m.queue.indexOf(e) + 1) },
    { title: 'TASK', width: 5, value: (e) => `#${e.task.id}` },
    { title: 'RISK', width: 6, value: (e) => e.task.risk, color: (e) => (e.task.risk === 'high' ? theme.bad : undefined) },
    { title: 'COMMITS', width: 7, value: (e) => String(e.commits.length) },
    { title: 'FILES', width: 5, value: (e) => String(e.files.length) },
    { title: 'FINDINGS', width: 9, value: (e) => (findings(e).length ? String(findings(e).length) : ''), color: () => theme.bad },
    { title: 'TITLE', width: 'fill', value: (e) => (live(e).state === 'merging' ? `${e.task.title} (merging)` : e.task.title) },
  ];
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate" dimColor={theme.dim}>
        {`Target ${m.target}@${m.tip?.slice(0, 7) ?? 'none'}${inFlight(s, m.running)}${m.canUndo ? ` · ${undoKey(bindings)} undoes the merge of #${m.canUndo}${m.undo ? ` (back to ${m.undo.to.slice(0, 7)})` : ''}` : ''}`}
      </Text>
      <Table
        rows={m.queue}
        columns={columns}
        keyOf={(e) => e.task.id}
        selected={sel}
        height={listHeight}
        width={s.size.cols}
        empty="Nothing to merge: no task is in review."
      />
      {entry ? (
        <MergeDetail entry={entry} conflicts={findings(entry)} bindings={bindings} theme={theme} height={height - listHeight - 2} width={s.size.cols} />
      ) : null}
    </Box>
  );
}

function undoKey(bindings: readonly KeyBinding[]): string {
  const k = keysFor(bindings, 'merge.undo')[0];
  return k === undefined ? '"muster merge undo"' : displayKey(k);
}

/** The approval in flight and its step, as the task's live reason says; nothing once it is over. */
function inFlight(s: CockpitState, running: number | null): string {
  const t = s.tasks.find((x) => x.state === 'merging') ?? (running !== null ? s.tasks.find((x) => x.id === running && x.state === 'merging') : undefined);
  if (!t) return '';
  const step = mergeStepWords(t.reason);
  return ` · merging #${t.id}${step ? ` (${step.words})` : ''}`;
}

function MergeDetail({
  entry,
  conflicts,
  bindings,
  theme,
  height,
  width,
}: {
  entry: MergeEntry;
  conflicts: ConflictView[];
  bindings: readonly KeyBinding[];
  theme: Theme;
  height: number;
  width: number;
}) {
  const lines: DetailLine[] = [];
  lines.push({ text: `#${entry.task.id} ${entry.task.title} — ${entry.task.branch ?? ''}`, bold: true });
  const summary = entry.task.summary?.trim().split('\n').filter(Boolean) ?? [];
  summary.slice(0, 3).forEach((l, i) => lines.push({ text: `${i ? '         ' : 'Summary: '}${l}` }));
  lines.push(...attemptLines(entry.result, bindings, 'merges', width - 1, Math.max(6, Math.floor(height / 2))));
  for (const c of conflicts) lines.push({ text: `${c.kind}: ${c.detail}`, tone: c.kind === 'merge' || c.kind === 'lock' ? 'bad' : 'warn' });
  if (entry.uncommitted.length) lines.push({ text: `Not committed, so not merged: ${entry.uncommitted.join(', ')}`, tone: 'warn' });
  if (entry.uncommitted.length && entry.commitRefused)
    lines.push({ text: `The commit guard refused its commit at ${clock(entry.commitRefused.at)}: ${entry.commitRefused.details.join('; ')}`, tone: 'warn' });
  lines.push({ text: `Commits (${entry.commits.length})`, bold: true });
  for (const c of entry.commits.slice(0, 8)) lines.push({ text: `  ${c.sha} ${c.subject}` });
  lines.push({ text: `Files (${entry.files.length})`, bold: true });
  for (const f of entry.files) lines.push({ text: `  ${f.added === null ? 'bin' : `+${f.added}`} ${f.removed === null ? '' : `-${f.removed}`}  ${f.path}` });
  const color = (l: DetailLine) => (l.tone === 'bad' ? theme.bad : l.tone === 'warn' ? theme.warn : l.tone === 'ok' ? theme.ok : undefined);
  return (
    <Box flexDirection="column" height={Math.max(1, height)} width={width} marginTop={1}>
      {lines.slice(0, Math.max(1, height)).map((l, i) => (
        <Text key={i} wrap="truncate" color={color(l)} bold={l.bold} dimColor={l.tone === 'dim' && theme.dim}>
          {displayLine(l.text)}
        </Text>
      ))}
    </Box>
  );
}
