/** A spec §12 target: on the ratio to the baseline, or on muster's own value. */
export type Target =
  | { kind: 'ratio-at-least'; value: number }
  | { kind: 'ratio-at-most'; value: number }
  | { kind: 'below'; value: number }
  | { kind: 'at-most'; value: number }
  | { kind: 'none' };

/** One measured figure: muster's value beside a baseline measured in the same run. */
export interface Figure {
  bench: string;
  name: string;
  unit: string;
  muster: number;
  baseline: number;
  /** What the baseline is (`8 tmux panes`, `node -e ''`). */
  baselineLabel: string;
  target: Target;
  /** Supporting numbers: how many samples, aggregates, where the time went. */
  detail?: string;
}

/** muster ÷ baseline; a zero baseline gives 0 when muster is zero too, else Infinity. */
export function ratioOf(f: Pick<Figure, 'muster' | 'baseline'>): number {
  if (f.baseline === 0) return f.muster === 0 ? 0 : Number.POSITIVE_INFINITY;
  return f.muster / f.baseline;
}

/** Whether the figure meets its target; null when it has none. */
export function meetsTarget(f: Figure): boolean | null {
  const t = f.target;
  switch (t.kind) {
    case 'ratio-at-least':
      return ratioOf(f) >= t.value;
    case 'ratio-at-most':
      return ratioOf(f) <= t.value;
    case 'below':
      return f.muster < t.value;
    case 'at-most':
      return f.muster <= t.value;
    case 'none':
      return null;
  }
}

export function targetText(f: Figure): string {
  const t = f.target;
  switch (t.kind) {
    case 'ratio-at-least':
      return `≥ ${t.value}× baseline`;
    case 'ratio-at-most':
      return `≤ ${t.value}× baseline`;
    case 'below':
      return `< ${t.value}${f.unit === '%' ? '%' : ` ${f.unit}`}`;
    case 'at-most':
      return f.unit === 'count' ? `≤ ${t.value}` : `≤ ${t.value}${f.unit === '%' ? '%' : ` ${f.unit}`}`;
    case 'none':
      return '—';
  }
}

/** What every benchmark module exports. */
export interface Bench {
  name: string;
  /** One paragraph for BENCHMARKS.md: what runs, what is timed, what the baseline is. */
  method: string;
  run(opts: { quick: boolean; log: (msg: string) => void }): Promise<Figure[]>;
}
