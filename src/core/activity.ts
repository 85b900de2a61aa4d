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
