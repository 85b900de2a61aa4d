import { describe, expect, it } from 'vitest';
import { activityLabel, activitySourceText } from '../../../src/core/activity.js';

const since = '2026-03-02T12:04:31.000Z';

describe('activityLabel', () => {
  it.each([
    ['working', 'reported', 'working'],
    ['working', 'heuristic', 'working?'],
    ['waiting-input', 'reported', 'waiting-input'],
    ['waiting-input', 'heuristic', 'waiting-input?'],
    ['idle', 'reported', 'idle'],
    ['exited', 'heuristic', 'exited'],
    ['unknown', 'none', 'unknown (since 12:04)'],
  ] as const)('shows %s from %s as %s', (activity, activitySource, shown) => {
    expect(activityLabel({ activity, activitySource, activitySince: since })).toBe(shown);
  });

  it('leaves out since when for a narrow column', () => {
    expect(activityLabel({ activity: 'unknown', activitySource: 'none', activitySince: since }, { since: false })).toBe('unknown');
  });

  it('says where an activity came from', () => {
    expect(activitySourceText('reported')).toBe('reported by the agent');
    expect(activitySourceText('heuristic')).toBe('guessed from its screen');
  });
});
