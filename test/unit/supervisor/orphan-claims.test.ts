import { describe, expect, it } from 'vitest';
import { claimingRuns } from '../../../src/supervisor/orphan-claims.js';

const run = (name: string, from: number, to: number | null, ptys: string[]) => ({ name, from, to, ptys: new Set(ptys) });

describe('which runs an adopted orphan is judged to come from', () => {
  const ended = run('task 1, ended', 100, 200, ['/dev/pts/3']);
  const live = run('task 5, live', 150, null, ['/dev/pts/4']);

  it("takes a process holding a run's terminal for that run alone, while that run could have started it", () => {
    expect(claimingRuns([ended, live], { ttys: ['/dev/pts/3'], start: 180 }).map((r) => r.name)).toEqual(['task 1, ended']);
  });

  it("never takes a process for a run that had ended before it started, even on that run's reused terminal number", () => {
    // The terminal worker's next agent, started on /dev/pts/3 after task 1's run ended, before its pid reached the supervisor.
    expect(claimingRuns([ended, live], { ttys: ['/dev/pts/3'], start: 250 }).map((r) => r.name)).toEqual(['task 5, live']);
    expect(claimingRuns([ended], { ttys: ['/dev/pts/3'], start: 250 })).toEqual([]);
  });

  it('without a terminal of a run, takes it for every run live when it started', () => {
    expect(claimingRuns([ended, live], { ttys: [], start: 180 }).map((r) => r.name)).toEqual(['task 1, ended', 'task 5, live']);
    expect(claimingRuns([ended, live], { ttys: ['/dev/pts/9'], start: 90 })).toEqual([]);
  });
});
