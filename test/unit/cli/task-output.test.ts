import { describe, expect, it } from 'vitest';
import { taskDetails, tasksTable } from '../../../src/cli/output.js';
import { at, liveTask } from '../components/fixtures.js';

describe('task list and task show', () => {
  it('say whether an agent reported its activity or muster guessed it from the screen', () => {
    const reported = liveTask({ id: 1, title: 'reported', activitySince: at(4) }, 1);
    const guessed = liveTask({ id: 2, title: 'guessed', activity: 'waiting-input', activitySource: 'heuristic', activitySince: at(5) }, 2);
    const table = tasksTable([reported, guessed]);
    expect(table).toMatch(/^#1 +running +medium +claude +working +reported/m);
    expect(table).toMatch(/^#2 +running +medium +claude +waiting-input\? +guessed/m);
    expect(taskDetails(reported)).toContain(`Agent     claude · working since ${at(4).slice(11, 16)} (reported by the agent)`);
    expect(taskDetails(guessed)).toContain(`Agent     claude · waiting-input? since ${at(5).slice(11, 16)} (guessed from its screen)`);
  });
});
