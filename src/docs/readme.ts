import { DEFAULT_BINDINGS, keymapMarkdown } from '../keymap/index.js';
import { configTable } from './config-table.js';

/** Sections of README.md that are generated; each sits between its two marker comments. */
export function generatedSections(): Record<string, string> {
  return { config: configTable(), keys: keymapMarkdown(DEFAULT_BINDINGS) };
}

export function applySections(readme: string, sections: Record<string, string>): string {
  let out = readme;
  for (const [name, body] of Object.entries(sections)) {
    const start = `<!-- generated:${name}:start -->`;
    const end = `<!-- generated:${name}:end -->`;
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`README.md lacks the markers ${start} ... ${end}`);
    out = `${out.slice(0, a + start.length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}
