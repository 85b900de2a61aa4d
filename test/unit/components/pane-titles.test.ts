import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PaneCompositor } from '../../../components/grid/compositor.js';
import { initialState } from '../../../components/model/cockpit-state.js';
import { FakeClient } from './fake-client.js';
import { at, shopTasks } from './fixtures.js';

describe('pane title bars', () => {
  it('say whether the activity was reported or guessed from the screen, and since when it is unknown', () => {
    const tasks = shopTasks().map((t) =>
      t.id === 2
        ? { ...t, activity: 'working' as const, activitySource: 'heuristic' as const }
        : t.id === 7
          ? { ...t, activity: 'unknown' as const, activitySource: 'none' as const, activitySince: at(5) }
          : t,
    );
    const written: string[] = [];
    const compositor = new PaneCompositor((d) => written.push(d), new FakeClient(tasks), false);
    compositor.sync({ ...initialState({ cols: 200, rows: 50 }), connected: true, tasks }, '');
    compositor.flush();
    compositor.dispose();
    const screen = stripVTControlCharacters(written.join(''));
    expect(screen).toContain('#1 · Add rate limiting to login · claude · working ');
    expect(screen).toContain('#2 · Fix flaky checkout test · codex · working? ');
    expect(screen).toContain(`#7 · Bump eslint to v9 · claude · unknown (since ${at(5).slice(11, 16)})`);
  });
});
