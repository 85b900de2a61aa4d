import { afterEach, describe, expect, it } from 'vitest';
import { closeCockpits, isSelected, listedIds, renderCockpit } from './cockpit.js';
import { liveTask, taskView } from './fixtures.js';

afterEach(closeCockpits);

describe('selection follows the task, not the row', () => {
  it('keeps the selected task selected when a task event moves it to the top of the queue', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(11);
    expect(listedIds(c).indexOf(11)).toBe(9);
    c.client.moveTo(11, 0);
    await c.until(() => listedIds(c)[0] === 11, '#11 at the top');
    expect(isSelected(c, 11)).toBe(true);
    expect(listedIds(c).slice(0, 3)).toEqual([11, 1, 2]);
  });

  it('keeps the selected task selected when another task moves past it', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(4);
    c.client.moveTo(13, 1);
    await c.until(() => listedIds(c)[1] === 13, '#13 moved up');
    expect(listedIds(c).indexOf(4)).toBe(4);
    expect(isSelected(c, 4)).toBe(true);
  });

  it('keeps the selected task selected when a task is added above it', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(4);
    c.client.insertTask(taskView({ id: 15, title: 'Hotfix: checkout 500 on empty cart', risk: 'high' }), 0);
    await c.waitFor(/^#15 +ready +high +claude +Hotfix: checkout 500 on empty cart/m);
    expect(listedIds(c)[0]).toBe(15);
    expect(isSelected(c, 4)).toBe(true);
  });

  it('keeps the selected agent selected when another agent starts before it in the grid', async () => {
    const c = await renderCockpit();
    await c.select(7);
    expect(listedIds(c)).toEqual([1, 2, 3, 6, 7]);
    c.client.changeTask(4, liveTask({ id: 4, title: 'Migrate cart to new pricing', risk: 'high' }, 4));
    await c.until(() => listedIds(c).join() === '1,2,3,4,6,7', '#4 in the grid');
    expect(isSelected(c, 7)).toBe(true);
  });

  it('keeps the selected agent selected when it starts working', async () => {
    const c = await renderCockpit();
    await c.select(2);
    c.client.changeTask(2, { activity: 'working', activitySource: 'reported' });
    await c.waitFor('#2 Fix flaky checkout test · codex · working');
    expect(isSelected(c, 2)).toBe(true);
  });

  it('selects the first agent when the selected one leaves the grid', async () => {
    const c = await renderCockpit();
    await c.select(7);
    c.client.changeTask(7, { state: 'merged', activity: 'exited' });
    await c.until(() => listedIds(c).join() === '1,2,3,6', '#7 gone from the grid');
    expect(isSelected(c, 1)).toBe(true);
  });

  it('keeps the selected merge selected when the one before it is skipped elsewhere', async () => {
    const c = await renderCockpit();
    await c.goto('merges');
    await c.select(7);
    c.client.moveTo(3, c.client.order.length);
    await c.until(() => listedIds(c).slice(0, 2).join() === '7,3', '#3 behind #7');
    expect(isSelected(c, 7)).toBe(true);
    await c.waitFor('#7 Bump eslint to v9 — muster/7-bump-eslint-to-v9');
  });

  it('acts on the task that was selected, wherever the reorder put it', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(13);
    c.client.moveTo(13, 0);
    await c.until(() => listedIds(c)[0] === 13, '#13 at the top');
    await c.press('a');
    await c.waitFor('Reassign #13 Paginate order history');
  });

  it('cancels the task the confirmation named even if the list reordered while it was open', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(12);
    await c.press('x');
    await c.waitFor('Cancel #12 Add health check endpoint and stop its agent?');
    c.client.insertTask(taskView({ id: 15, title: 'Hotfix: checkout 500 on empty cart' }), 0);
    c.client.moveTo(12, 3);
    await c.press('y');
    await c.until(() => c.client.callsOf('task.cancel').length > 0, 'task.cancel');
    expect(c.client.callsOf('task.cancel')).toEqual([{ id: 12 }]);
  });

  it('cycles through the agent panes both ways: tab from the last to the first, shift+tab from the first to the last', async () => {
    const c = await renderCockpit();
    await c.select(7);
    await c.press('tab');
    await c.until(() => isSelected(c, 1), '#1 after #7');
    await c.press('shift+tab');
    await c.until(() => isSelected(c, 7), '#7 before #1');
  });

  it('moves the selection by rows in list order with j and k, stopping at the ends', async () => {
    const c = await renderCockpit();
    await c.goto('tasks');
    await c.select(1);
    await c.press('k');
    expect(isSelected(c, 1)).toBe(true);
    await c.press('j', 'j');
    await c.until(() => isSelected(c, 3), '#3 selected');
    await c.select(8);
    await c.press('j');
    expect(isSelected(c, 8)).toBe(true);
  });
});
