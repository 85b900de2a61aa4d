import { Box, Text } from 'ink';
import { displayLine, displayText } from '../../src/core/display-text.js';
import { helpSections, hintsFor, type KeyBinding } from '../../src/keymap/index.js';
import type { FormField, FormState, Overlay } from '../model/cockpit-state.js';
import { cursorOf } from '../model/forms.js';
import type { Theme } from '../theme.js';

export function HelpOverlay({
  bindings,
  scroll,
  height,
  width,
  theme,
}: {
  bindings: readonly KeyBinding[];
  scroll: number;
  height: number;
  width: number;
  theme: Theme;
}) {
  const lines: { text: string; head?: boolean; danger?: boolean }[] = [];
  for (const section of helpSections(bindings)) {
    lines.push({ text: section.group, head: true });
    for (const r of section.rows)
      lines.push({
        text: `  ${r.keys.padEnd(18)} ${r.description}${r.where !== 'any view' ? `  (${r.where})` : ''}${r.dangerous ? '  — asks first' : ''}`,
        danger: r.dangerous,
      });
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
      <Text bold>{displayText(message)}</Text>
      <Text>y yes · n / esc no</Text>
    </Box>
  );
}

export function OfflineDialog({ overlay, bindings, theme }: { overlay: Extract<Overlay, { kind: 'offline' }>; bindings: readonly KeyBinding[]; theme: Theme }) {
  return (
    <Box borderStyle="round" borderColor={theme.bad} flexDirection="column" paddingX={1}>
      <Text bold color={theme.bad}>
        The muster supervisor went away (muster stop, or it crashed).
      </Text>
      <Text>What this screen shows is from before; agents it ran were stopped with it.</Text>
      {overlay.starting ? (
        <Text color={theme.warn}>Starting the supervisor…</Text>
      ) : (
        <Text>
          {hintsFor(bindings, 'offline')
            .map((h) => `${h.key} ${h.label}`)
            .join(' · ')}
        </Text>
      )}
      {overlay.error ? <Text color={theme.bad}>{overlay.error}</Text> : null}
      <Text dimColor>muster reconnects by itself as soon as a supervisor runs again (any muster command starts one).</Text>
    </Box>
  );
}

export function QuitDialog({ running, bindings, theme }: { running: number; bindings: readonly KeyBinding[]; theme: Theme }) {
  return (
    <Box borderStyle="round" borderColor={theme.accent} flexDirection="column" paddingX={1}>
      <Text bold>{`${running} agent${running === 1 ? ' is' : 's are'} running.`}</Text>
      <Text>
        {hintsFor(bindings, 'quit')
          .map((h) => `${h.key} ${h.label}`)
          .join(' · ')}
      </Text>
      <Text dimColor>Detached agents keep running; muster shows them again when you start it.</Text>
    </Box>
  );
}

const LABEL = 9;
/** Lines of a multi-line field shown at once; the window follows the cursor. */
const MULTILINE_ROWS = 5;

/** `chars[from, to)` with the cursor (at `cursor`, maybe past the end) drawn inverse. */
function WithCursor({ chars, from, to, cursor }: { chars: string[]; from: number; to: number; cursor: number | null }) {
  // Forms keep no control characters (typing and pastes drop them), but a value set elsewhere
  // may: shown escaped, never obeyed.
  const show = (part: string[]) => displayLine(part.join(''));
  if (cursor === null || cursor < from || cursor > to) return <Text>{show(chars.slice(from, to))}</Text>;
  const under = cursor < to ? chars[cursor]! : ' ';
  return (
    <Text>
      {show(chars.slice(from, cursor))}
      <Text inverse>{under === '\n' ? ' ' : displayLine(under)}</Text>
      {show(chars.slice(Math.min(to, cursor + 1), to))}
    </Text>
  );
}

/** A one-line value scrolled so the cursor stays in view. */
function LineValue({ chars, cursor, width }: { chars: string[]; cursor: number | null; width: number }) {
  const from = cursor === null ? 0 : Math.max(0, cursor - width + 1);
  return <WithCursor chars={chars} from={from} to={Math.min(chars.length, from + width)} cursor={cursor} />;
}

/** One field of a form, its label first: a line with the cursor, several lines, or a picker. */
export function FieldRows({ field, focused, width, theme }: { field: FormField; focused: boolean; width: number; theme: Theme }) {
  const label = (
    <Text bold={focused} color={focused ? theme.accent : undefined}>
      {field.label.padEnd(LABEL)}
    </Text>
  );
  const room = Math.max(4, width - LABEL);
  if (field.options) {
    return (
      <Text wrap="truncate">
        {label}
        {focused ? <Text inverse>{` ‹ ${displayLine(field.value)} › `}</Text> : <Text>{displayLine(field.value)}</Text>}
      </Text>
    );
  }
  const chars = [...field.value];
  const cursor = focused ? cursorOf(field) : null;
  if (!field.multiline || !chars.includes('\n')) {
    return (
      <Text wrap="truncate">
        {label}
        <LineValue chars={chars} cursor={cursor} width={room} />
      </Text>
    );
  }
  // Lines as [start, end) character ranges; the window of lines follows the cursor.
  const lines: [number, number][] = [];
  let start = 0;
  chars.forEach((ch, i) => {
    if (ch === '\n') {
      lines.push([start, i]);
      start = i + 1;
    }
  });
  lines.push([start, chars.length]);
  if (cursor === null) {
    return (
      <Text wrap="truncate">
        {label}
        {displayLine(chars.slice(lines[0]![0], lines[0]![1]).join(''))}
        <Text dimColor>{` (+${lines.length - 1} more line${lines.length === 2 ? '' : 's'})`}</Text>
      </Text>
    );
  }
  const at = lines.findIndex(([, end], i) => cursor <= end || i === lines.length - 1);
  const first = Math.max(0, Math.min(at - MULTILINE_ROWS + 1, lines.length - MULTILINE_ROWS));
  return (
    <Box flexDirection="column">
      {lines.slice(first, first + MULTILINE_ROWS).map(([from, to], i) => {
        const inLine = cursor >= from && cursor <= to ? cursor : null;
        const offset = inLine === null ? 0 : Math.max(0, inLine - from - room + 1);
        return (
          <Text key={first + i} wrap="truncate">
            {first + i === 0 ? label : ' '.repeat(LABEL)}
            <WithCursor chars={chars} from={from + offset} to={Math.min(to, from + offset + room)} cursor={inLine} />
          </Text>
        );
      })}
    </Box>
  );
}

export function FormDialog({ form, theme, width }: { form: FormState; theme: Theme; width: number }) {
  const outer = Math.min(width, 100);
  const inner = outer - 4;
  const focused = form.fields[form.focus];
  return (
    <Box borderStyle="round" borderColor={theme.accent} flexDirection="column" paddingX={1} width={outer}>
      <Text bold>{form.title}</Text>
      {form.fields.map((f, i) => (
        <Box key={f.name} flexDirection="column">
          <FieldRows field={f} focused={i === form.focus} width={inner} theme={theme} />
          {i === form.focus && f.options ? <Text dimColor wrap="truncate">{`${' '.repeat(LABEL)}${f.options.join(' · ')}`}</Text> : null}
          {i === form.focus && f.hint ? <Text dimColor wrap="truncate">{`${' '.repeat(LABEL)}${f.hint}`}</Text> : null}
        </Box>
      ))}
      {form.error ? <Text color={theme.bad}>{displayText(form.error)}</Text> : null}
      <Text dimColor>{`enter submit · tab next field${focused?.multiline ? ' · alt+enter new line' : ''} · esc cancel`}</Text>
    </Box>
  );
}

export function DiffOverlay({ overlay, height, width, theme }: { overlay: Extract<Overlay, { kind: 'diff' }>; height: number; width: number; theme: Theme }) {
  // Clamped here, not only when scrolled: a terminal that grew shows more of the diff, not blank rows.
  const scroll = Math.max(0, Math.min(overlay.scroll, overlay.lines.length - (height - 1)));
  const lines = overlay.lines.slice(scroll, scroll + height - 1);
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text bold color={theme.accent}>{`Diff of #${overlay.task} — line ${scroll + 1}/${overlay.lines.length} · j/k space scroll · esc back`}</Text>
      {lines.map((l, i) => (
        <Text
          key={i}
          wrap="truncate"
          color={
            l.startsWith('+') && !l.startsWith('+++')
              ? theme.ok
              : l.startsWith('-') && !l.startsWith('---')
                ? theme.bad
                : l.startsWith('@@')
                  ? theme.accent
                  : undefined
          }
        >
          {displayText(l) || ' '}
        </Text>
      ))}
    </Box>
  );
}
