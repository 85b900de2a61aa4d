import { Box, Text } from 'ink';
import type { MergeEntry } from '../../src/protocol/shapes.js';
import { selection, type CockpitState } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';
import { Table, type Column } from './Table.js';

/** The merge queue, and for the selected task: commits, files, gate results and findings. */
export function MergesView({ s, theme, height }: { s: CockpitState; theme: Theme; height: number }) {
  const m = s.merges;
  if (!m) return <Text dimColor>Loading the merge queue…</Text>;
  const sel = selection(s, 'merges');
  const entry = m.queue.find((e) => e.task.id === sel) ?? null;
  const listHeight = Math.min(Math.max(3, m.queue.length + 1), Math.floor(height / 3));
  const columns: Column<MergeEntry>[] = [
    { title: '#', width: 3, value: (e) => String(m.queue.indexOf(e) + 1) },
    { title: 'TASK', width: 5, value: (e) => `#${e.task.id}` },
    { title: 'RISK', width: 6, value: (e) => e.task.risk, color: (e) => (e.task.risk === 'high' ? theme.bad : undefined) },
    { title: 'COMMITS', width: 7, value: (e) => String(e.commits.length) },
    { title: 'FILES', width: 5, value: (e) => String(e.files.length) },
    { title: 'FINDINGS', width: 9, value: (e) => (e.conflicts.length ? String(e.conflicts.length) : '') , color: () => theme.bad },
    { title: 'TITLE', width: 'fill', value: (e) => e.task.title },
  ];
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate" dimColor={theme.dim}>
        {`Target ${m.target}@${m.tip?.slice(0, 7) ?? 'none'}${m.running ? ` · merging #${m.running}` : ''}${m.canUndo ? ` · u undoes the merge of #${m.canUndo}` : ''}`}
      </Text>
      <Table rows={m.queue} columns={columns} keyOf={(e) => e.task.id} selected={sel} height={listHeight} width={s.size.cols} empty="Nothing to merge: no task is in review." />
      {entry ? <MergeDetail entry={entry} theme={theme} height={height - listHeight - 2} width={s.size.cols} /> : null}
    </Box>
  );
}

function MergeDetail({ entry, theme, height, width }: { entry: MergeEntry; theme: Theme; height: number; width: number }) {
  const lines: { text: string; color?: string | undefined; bold?: boolean }[] = [];
  const r = entry.result;
  lines.push({ text: `#${entry.task.id} ${entry.task.title} — ${entry.task.branch ?? ''}`, bold: true });
  if (r && !r.landed) {
    lines.push({ text: r.message, color: theme.bad });
    if (r.gate) for (const l of r.gate.output.trimEnd().split('\n').slice(-6)) lines.push({ text: `  │ ${l}`, color: theme.bad });
  }
  if (r?.gates.length) lines.push({ text: `Gates: ${r.gates.map((g) => `${g.name} ${g.ok ? '✓' : '✗'}`).join('  ')}` });
  for (const c of entry.conflicts) lines.push({ text: `${c.kind}: ${c.detail}`, color: c.kind === 'merge' || c.kind === 'lock' ? theme.bad : theme.warn });
  if (entry.uncommitted.length) lines.push({ text: `Not committed, so not merged: ${entry.uncommitted.join(', ')}`, color: theme.warn });
  lines.push({ text: `Commits (${entry.commits.length})`, bold: true });
  for (const c of entry.commits.slice(0, 8)) lines.push({ text: `  ${c.sha} ${c.subject}` });
  lines.push({ text: `Files (${entry.files.length})`, bold: true });
  for (const f of entry.files) lines.push({ text: `  ${f.added === null ? 'bin' : `+${f.added}`} ${f.removed === null ? '' : `-${f.removed}`}  ${f.path}` });
  return (
    <Box flexDirection="column" height={Math.max(1, height)} width={width} marginTop={1}>
      {lines.slice(0, Math.max(1, height)).map((l, i) => (
        <Text key={i} wrap="truncate" color={l.color} bold={l.bold}>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
