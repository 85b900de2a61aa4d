import { Box, Text } from 'ink';
import { helpSections, hintsFor, type KeyBinding } from '../../src/keymap/index.js';
import type { FormState, Overlay } from '../model/cockpit-state.js';
import type { Theme } from '../theme.js';

export function HelpOverlay({ bindings, scroll, height, width, theme }: { bindings: readonly KeyBinding[]; scroll: number; height: number; width: number; theme: Theme }) {
  const lines: { text: string; head?: boolean; danger?: boolean }[] = [];
  for (const section of helpSections(bindings)) {
    lines.push({ text: section.group, head: true });
    for (const r of section.rows) lines.push({ text: `  ${r.keys.padEnd(18)} ${r.description}${r.where !== 'any view' ? `  (${r.where})` : ''}${r.dangerous ? '  — asks first' : ''}`, danger: r.dangerous });
  }
  const shown = lines.slice(Math.min(scroll, Math.max(0, lines.length - height + 1)), Math.min(scroll, Math.max(0, lines.length - height + 1)) + height - 1);
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold color={theme.accent}>
        Keys — esc closes, j/k scroll
      </Text>
      {shown.map((l, i) => (
        <Text key={i} bold={l.head} color={l.head ? theme.accent : l.danger ? theme.warn : undefined} wrap="truncate">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}

export function ConfirmDialog({ message, theme }: { message: string; theme: Theme }) {
  return (
    <Box borderStyle="round" borderColor={theme.warn} flexDirection="column" paddingX={1}>
      <Text bold>{message}</Text>
      <Text>y yes · n / esc no</Text>
    </Box>
  );
}

export function QuitDialog({ running, bindings, theme }: { running: number; bindings: readonly KeyBinding[]; theme: Theme }) {
  return (
    <Box borderStyle="round" borderColor={theme.accent} flexDirection="column" paddingX={1}>
      <Text bold>{`${running} agent${running === 1 ? ' is' : 's are'} running.`}</Text>
      <Text>{hintsFor(bindings, 'quit').map((h) => `${h.key} ${h.label}`).join(' · ')}</Text>
      <Text dimColor>Detached agents keep running; muster shows them again when you start it.</Text>
    </Box>
  );
}

export function FormDialog({ form, theme, width }: { form: FormState; theme: Theme; width: number }) {
  return (
    <Box borderStyle="round" borderColor={theme.accent} flexDirection="column" paddingX={1} width={Math.min(width, 100)}>
      <Text bold>{form.title}</Text>
      {form.fields.map((f, i) => (
        <Box key={f.name} flexDirection="column">
          <Text wrap="truncate">
            <Text bold={i === form.focus} color={i === form.focus ? theme.accent : undefined}>{`${f.label.padEnd(9)}`}</Text>
            <Text inverse={i === form.focus}>{f.value}</Text>
            {i === form.focus ? <Text inverse> </Text> : null}
          </Text>
          {i === form.focus && f.hint ? <Text dimColor>{`         ${f.hint}`}</Text> : null}
        </Box>
      ))}
      {form.error ? <Text color={theme.bad}>{form.error}</Text> : null}
      <Text dimColor>enter submit · tab next field · esc cancel</Text>
    </Box>
  );
}

export function DiffOverlay({ overlay, height, width, theme }: { overlay: Extract<Overlay, { kind: 'diff' }>; height: number; width: number; theme: Theme }) {
  const lines = overlay.lines.slice(overlay.scroll, overlay.scroll + height - 1);
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold color={theme.accent}>{`Diff of #${overlay.task} — line ${overlay.scroll + 1}/${overlay.lines.length} · j/k space scroll · esc back`}</Text>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate" color={l.startsWith('+') && !l.startsWith('+++') ? theme.ok : l.startsWith('-') && !l.startsWith('---') ? theme.bad : l.startsWith('@@') ? theme.accent : undefined}>
          {l || ' '}
        </Text>
      ))}
    </Box>
  );
}
