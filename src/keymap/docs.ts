import { CONTEXT_LABELS, type CommandId, type KeyBinding, type KeyContext, type KeyGroup } from './bindings.js';
import { displayKey } from './keys.js';
import { reachableBindings } from './resolve.js';

/** One row of the help overlay. */
export interface HelpRow {
  readonly id: CommandId;
  /** The keys as shown, e.g. "↑ / k". */
  readonly keys: string;
  readonly description: string;
  /** Where the binding is heard, e.g. "agents view, tasks view". */
  readonly where: string;
  readonly dangerous: boolean;
}

/** A titled section of the help overlay. */
export interface HelpSection {
  readonly group: KeyGroup;
  readonly rows: readonly HelpRow[];
}

const whereOf = (binding: KeyBinding): string => binding.contexts.map((c) => CONTEXT_LABELS[c]).join(', ');

// Sections follow the table's order of first appearance, so help and docs read like the table.
function grouped(bindings: readonly KeyBinding[]): Map<KeyGroup, KeyBinding[]> {
  const groups = new Map<KeyGroup, KeyBinding[]>();
  for (const binding of bindings) {
    const rows = groups.get(binding.group) ?? [];
    rows.push(binding);
    groups.set(binding.group, rows);
  }
  return groups;
}

/**
 * The help overlay's sections, built from the live key map so overrides show. With a
 * context, only what that context hears, so `?` explains the keys that work right now.
 * Unbound commands are left out.
 */
export function helpSections(bindings: readonly KeyBinding[], context?: KeyContext): HelpSection[] {
  const shown = context === undefined ? bindings : reachableBindings(bindings, context);
  return [...grouped(shown.filter((b) => b.keys.length > 0))].map(([group, rows]) => ({
    group,
    rows: rows.map((b) => ({
      id: b.id,
      keys: b.keys.map(displayKey).join(' / '),
      description: b.description,
      where: whereOf(b),
      dangerous: b.dangerous === true,
    })),
  }));
}

// A key inside a markdown table cell: backticks need a longer fence, pipes an escape.
function codeSpan(text: string): string {
  const escaped = text.replaceAll('|', '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

const cell = (text: string): string => text.replaceAll('|', '\\|');

/**
 * The README's key table: one markdown table per group, in table order, with the keys, the
 * action, where it works, notes (whether it asks for confirmation first) and the id that
 * config's `keys:` rebinds it by.
 */
export function keymapMarkdown(bindings: readonly KeyBinding[]): string {
  const sections = [...grouped(bindings)].map(([group, rows]) => {
    const lines = rows.map((b) => {
      const keys = b.keys.length > 0 ? b.keys.map((k) => codeSpan(displayKey(k))).join(' ') : '(unbound)';
      const notes = [b.dangerous === true ? 'asks y/n first' : '', b.note ?? ''].filter((n) => n !== '');
      return `| ${keys} | ${cell(b.description)} | ${cell(whereOf(b))} | ${cell(notes.join('; '))} | \`${b.id}\` |`;
    });
    const header = ['| Keys | Action | Where | Notes | Id (for `keys:`) |', '| --- | --- | --- | --- | --- |'];
    return [`### ${group}`, '', ...header, ...lines].join('\n');
  });
  return `${sections.join('\n\n')}\n`;
}
