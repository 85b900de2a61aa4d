/** A terminal size in cells. */
export interface TermSize {
  cols: number;
  rows: number;
}

/** What a view of an agent is: full-screen (attach) or a pane of a cockpit's grid. */
export type ViewKind = 'attach' | 'pane';

interface Claim extends TermSize {
  owner: object;
  kind: ViewKind;
  seq: number;
}

/** Size of an agent terminal no view has asked for yet, when the config names none. */
export const FALLBACK_SIZE: Readonly<TermSize> = Object.freeze({ cols: 120, rows: 32 });

/**
 * Who decides how big each agent's terminal is when several clients show it at once.
 *
 * The rule (tmux's `window-size latest`, with attach above panes): a full-screen attach beats
 * any pane, and among views of one kind the one that most recently attached, resized or was
 * laid out wins. Every other view draws the same screen clipped or padded to its own size.
 * When a view goes away the size falls back to the next one by the same rule.
 */
export class TerminalSizes {
  private seq = 0;
  private readonly claims = new Map<number, Claim[]>();
  /** The size the most recent view asked for: where the next agent starts. */
  private lastAsked: TermSize | null = null;

  /** `owner` (a connection) shows `task` in a view of `kind` at `size`; returns the winning size. */
  claim(task: number, owner: object, kind: ViewKind, size: TermSize): TermSize {
    const list = (this.claims.get(task) ?? []).filter((c) => c.owner !== owner || c.kind !== kind);
    list.push({ ...size, owner, kind, seq: ++this.seq });
    this.claims.set(task, list);
    this.lastAsked = { cols: size.cols, rows: size.rows };
    return this.size(task)!;
  }

  /** `owner` stopped showing `task` in a view of `kind` (every kind when omitted). */
  release(task: number, owner: object, kind?: ViewKind): TermSize | null {
    const list = (this.claims.get(task) ?? []).filter((c) => c.owner !== owner || (kind !== undefined && c.kind !== kind));
    if (list.length) this.claims.set(task, list);
    else this.claims.delete(task);
    return this.size(task);
  }

  /** The size the views of `task` agree on, or null when nothing shows it. */
  size(task: number): TermSize | null {
    const list = this.claims.get(task) ?? [];
    const pick = (kind: ViewKind) => list.filter((c) => c.kind === kind).sort((a, b) => b.seq - a.seq)[0];
    const winner = pick('attach') ?? pick('pane');
    return winner ? { cols: winner.cols, rows: winner.rows } : null;
  }

  /**
   * The size a new agent terminal starts at: the configured one, else the size the last view
   * asked for (so an agent that paints once, like a welcome box, paints it for the screen it
   * will be read on), else 120×32.
   */
  startSize(configured: Partial<TermSize>): TermSize {
    const base = this.lastAsked ?? FALLBACK_SIZE;
    return { cols: configured.cols ?? base.cols, rows: configured.rows ?? base.rows };
  }
}
