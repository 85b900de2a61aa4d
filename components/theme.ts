/** Colours of the cockpit; with NO_COLOR every one is undefined and emphasis is bold or inverse only. */
export interface Theme {
  accent: string | undefined;
  dim: boolean;
  ok: string | undefined;
  warn: string | undefined;
  bad: string | undefined;
  color: boolean;
}

export function themeFor(env: Readonly<Record<string, string | undefined>>): Theme {
  const color = env.NO_COLOR === undefined || env.NO_COLOR === '';
  return color
    ? { accent: 'cyan', dim: true, ok: 'green', warn: 'yellow', bad: 'red', color }
    : { accent: undefined, dim: false, ok: undefined, warn: undefined, bad: undefined, color };
}

/** Colour of a task state in tables. */
export function stateColor(theme: Theme, state: string): string | undefined {
  switch (state) {
    case 'running':
      return theme.accent;
    case 'review':
    case 'merged':
      return theme.ok;
    case 'failed':
    case 'stalled':
      return theme.bad;
    case 'ready':
    case 'merging':
      return theme.warn;
    default:
      return undefined;
  }
}
