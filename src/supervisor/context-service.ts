import { basename, dirname } from 'node:path';
import {
  appendEntry,
  blockerEntries,
  blockerKey,
  DEFAULT_CONTEXT_DOC,
  entriesByAuthor,
  formatEntry,
  parseContextDoc,
  resolveSection,
} from '../core/context-doc.js';
import { writeFileAtomicSync } from '../adapters/store/atomic-write.js';
import { removeStaleTemps } from '../adapters/store/stale-temps.js';
import { watchFile } from '../adapters/watch/file-watch.js';
import { MusterError } from '../protocol/errors.js';
import type { StateCell } from './state-cell.js';
import { ensureDir, pathExists, readText } from '../adapters/fs/files.js';

export interface BlockerView {
  key: string;
  author: string | null;
  time: string | null;
  text: string;
  acknowledged: boolean;
}

/**
 * The shared context file: appends serialised through the supervisor (one at a time, each a
 * whole-file atomic replace), direct edits seen through a watcher, blockers counted until the
 * operator acknowledges them.
 */
export class ContextService {
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: { close: () => Promise<void> } | null = null;
  private knownBlockers = new Set<string>();

  constructor(private readonly cell: StateCell) {}

  get file(): string {
    return this.cell.contextFile;
  }

  async start(): Promise<void> {
    ensureDir(dirname(this.file));
    // Temp files of a supervisor killed mid-write (`.shared-context.md.<pid>.<random>.tmp`).
    removeStaleTemps(dirname(this.file), `.${basename(this.file)}.`, '.tmp');
    if (!pathExists(this.file)) writeFileAtomicSync(this.file, DEFAULT_CONTEXT_DOC);
    for (const b of this.blockers()) this.knownBlockers.add(b.key);
    this.watcher = watchFile(this.file, () => this.changed());
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
  }

  read(): string {
    try {
      return readText(this.file);
    } catch {
      return '';
    }
  }

  /** Appends `- [author HH:MM] text` under the section; concurrent calls run one after another. */
  add(sectionName: string, text: string, author: string): Promise<{ section: string; entry: string }> {
    const run = this.queue.then(async () => {
      const doc = this.read();
      const section = resolveSection(
        sectionName,
        parseContextDoc(doc).sections.map((s) => s.heading),
      );
      if (!section.ok) throw new MusterError('bad-input', `--section ${JSON.stringify(sectionName)}: ${section.error.message}`);
      const now = new Date();
      const hhmm = `${String(now.getHours()).padStart(2, '0')}:${String(now.getMinutes()).padStart(2, '0')}`;
      const entry = formatEntry(author, hhmm, text);
      if (!entry.ok) throw new MusterError('bad-input', entry.error.message);
      writeFileAtomicSync(this.file, appendEntry(doc, section.value, entry.value));
      this.cell.audit([{ actor: author === 'operator' ? 'operator' : `task ${author}`, kind: 'context-added', details: { section: section.value, text } }]);
      this.changed();
      return { section: section.value, entry: entry.value };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  blockers(): BlockerView[] {
    const acked = new Set(this.cell.state.acknowledgedBlockers);
    return blockerEntries(this.read()).map((e) => {
      const key = blockerKey(e);
      return { key, author: e.author, time: e.time, text: e.text, acknowledged: acked.has(key) };
    });
  }

  unread(): number {
    return this.blockers().filter((b) => !b.acknowledged).length;
  }

  async acknowledge(keys: string[] | 'all'): Promise<number> {
    const all = this.blockers();
    const chosen = keys === 'all' ? all.map((b) => b.key) : keys;
    const unknown = chosen.filter((k) => !all.some((b) => b.key === k));
    if (unknown.length) throw new MusterError('bad-input', `No such blocker: ${unknown.join(', ')}. "muster context show --section blockers" lists them.`);
    const next = [...new Set([...this.cell.state.acknowledgedBlockers, ...chosen])].filter((k) => all.some((b) => b.key === k));
    await this.cell.apply({ ...this.cell.state, acknowledgedBlockers: next }, [
      { actor: 'operator', kind: 'blockers-acknowledged', details: { count: chosen.length } },
    ]);
    this.changed();
    return this.unread();
  }

  entriesOf(taskId: number): string[] {
    return entriesByAuthor(this.read(), `#${taskId}`).map((e) => e.entry.raw);
  }

  /** Tells clients the document changed, and about each blocker they have not seen yet. */
  private changed(): void {
    const blockers = this.blockers();
    for (const b of blockers) {
      if (this.knownBlockers.has(b.key)) continue;
      this.knownBlockers.add(b.key);
      if (!b.acknowledged) this.cell.notify({ kind: 'blocker', message: `New blocker${b.author ? ` from ${b.author}` : ''}: ${b.text}` });
    }
    this.cell.server?.broadcast('context', { unread: blockers.filter((b) => !b.acknowledged).length });
  }
}
