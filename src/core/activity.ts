import type { Activity, ActivityStatus } from './task.js';

export interface ActivityInput {
  /** What the agent last said of itself with `muster agent status`, if anything. */
  reported: { status: Activity; at: number } | null;
  running: boolean;
  lastOutputAt: number;
  /** When the operator last typed into the agent. */
  lastInputAt: number;
  now: number;
  /** The last non-empty lines of the agent's screen. */
  screenTail: readonly string[];
  waitingPatterns: readonly RegExp[];
}

/** Output within this window counts as working. */
export const WORKING_WINDOW_MS = 2_000;

/**
 * An agent's activity: what it reported about itself stands until it reports again or the
 * operator types into it (an answered prompt is no longer waiting); otherwise recent output
 * means working and a known prompt on screen means waiting for input. Anything else is
 * unknown — never a guess.
 */
export function judgeActivity(i: ActivityInput): { status: Activity; source: ActivityStatus['source'] } {
  if (!i.running) return { status: 'exited', source: 'heuristic' };
  if (i.reported && i.reported.at >= i.lastInputAt) return { status: i.reported.status, source: 'reported' };
  const tail = i.screenTail.join('\n');
  if (i.now - i.lastOutputAt < WORKING_WINDOW_MS) {
    return { status: 'working', source: 'heuristic' };
  }
  if (i.waitingPatterns.some((p) => p.test(tail))) return { status: 'waiting-input', source: 'heuristic' };
  return { status: 'unknown', source: 'none' };
}

/** What an activity label is made of: a task as clients see it. */
export interface ActivityShown {
  activity: Activity;
  activitySource: ActivityStatus['source'];
  activitySince: string;
}

/**
 * An agent's activity as people read it, the same in every view: a `?` marks one guessed from
 * its screen; without it the agent said so itself (a hook, `muster agent status`) or its
 * process exited. Unknown says since when, unless `since: false` (a narrow column).
 */
export function activityLabel(t: ActivityShown, opts: { since?: boolean } = {}): string {
  if (t.activity === 'unknown') return opts.since === false ? 'unknown' : `unknown (since ${t.activitySince.slice(11, 16)})`;
  return t.activitySource === 'heuristic' && t.activity !== 'exited' ? `${t.activity}?` : t.activity;
}

/** Where an activity came from, in words (`muster task show`). */
export function activitySourceText(source: ActivityStatus['source']): string {
  return source === 'reported' ? 'reported by the agent' : source === 'heuristic' ? 'guessed from its screen' : 'nothing reported or seen yet';
}
