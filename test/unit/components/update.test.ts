import { describe, expect, it } from 'vitest';
import type { Command, Then } from '../../../components/model/cockpit-command.js';
import type { CockpitEvent } from '../../../components/model/cockpit-event.js';
import { initialInFlight, type CockpitModel } from '../../../components/model/cockpit-model.js';
import { initialState, sortTasks } from '../../../components/model/cockpit-state.js';
import { CONFIRMATIONS } from '../../../components/model/confirmations.js';
import { update } from '../../../components/model/update.js';
import { applyOverrides, DEFAULT_BINDINGS, type KeyBinding, type KeyName } from '../../../src/keymap/index.js';
import type { MergeEntry } from '../../../src/protocol/shapes.js';
import { OVERLAP, shopLocks, shopTasks } from './fixtures.js';

// The cockpit's update without a terminal, a socket or a clock: events in, model and commands out.

function model(bindings: readonly KeyBinding[] = DEFAULT_BINDINGS): CockpitModel {
  const ui = { ...initialState({ cols: 150, rows: 30 }), connected: true, tasks: sortTasks(shopTasks()), locks: shopLocks(), conflicts: [OVERLAP] };
  return { ui, io: initialInFlight(1000), bindings, host: { reconnect: true, switchRepo: false } };
}

/** Feeds events in order, collecting every command. */
function run(m: CockpitModel, ...events: CockpitEvent[]): [CockpitModel, Command[]] {
  const all: Command[] = [];
  for (const e of events) {
    const [next, commands] = update(m, e);
    m = next;
    all.push(...commands);
  }
  return [m, all];
}

const key = (k: KeyName, text = ''): CockpitEvent => ({ kind: 'input', input: { kind: 'key', key: k, text } });
const calls = (commands: Command[]) => commands.flatMap((c) => (c.kind === 'call' ? [c.call] : []));
const thenOf = (commands: Command[], method: string): Then => {
  const c = commands.find((x) => x.kind === 'call' && x.call.method === method);
  if (c?.kind !== 'call') throw new Error(`no ${method} call in ${JSON.stringify(commands)}`);
  return c.then;
};

describe('cockpit update', () => {
  it('pauses dispatch on p, says so when the supervisor answers, and reads the status again', () => {
    const [m, commands] = run(model(), key('p'));
    expect(calls(commands)).toEqual([{ method: 'dispatch.pause', params: {} }]);
    const [after, next] = run(m, { kind: 'answered', then: thenOf(commands, 'dispatch.pause'), result: { paused: true } });
    expect(after.ui.flash?.text).toBe('Dispatch paused: running agents go on, no new task starts.');
    expect(calls(next)).toEqual([{ method: 'status', params: {} }]);
  });

  it('asks before cancelling, names the task, and calls nothing until y', () => {
    const [asked, none] = run(model(), key('2'), key('x'));
    expect(calls(none).filter((c) => c.method !== 'status')).toEqual([]);
    expect(asked.ui.overlay).toMatchObject({
      kind: 'confirm',
      command: 'task.cancel',
      message: 'Cancel #1 Add rate limiting to login and stop its agent? Its work is archived.',
    });
    const [done, commands] = run(asked, key('y'));
    expect(done.ui.overlay).toBeNull();
    expect(calls(commands)).toEqual([{ method: 'task.cancel', params: { id: 1 } }]);
  });

  it('has a question for every dangerous binding that names what it acts on', () => {
    const dangerous = DEFAULT_BINDINGS.filter((b) => b.dangerous).map((b) => b.id);
    expect(dangerous.length).toBeGreaterThan(0);
    for (const id of dangerous) expect(CONFIRMATIONS[id], id).toBeDefined();
  });

  it('reads once at a time: a reload asked for during one follows it, and a third adds nothing', () => {
    const [m, first] = run(model(), { kind: 'refresh-asked' }, { kind: 'refresh-asked' }, { kind: 'refresh-asked' });
    expect(calls(first)).toEqual([{ method: 'status', params: {} }]);
    const status = { paused: false, tasks: shopTasks(), locks: shopLocks(), conflicts: [OVERLAP], daemon: { pid: 9 } };
    const [after, again] = run(m, { kind: 'answered', then: thenOf(first, 'status'), result: status });
    expect(calls(again)).toEqual([{ method: 'status', params: {} }]);
    const [idle, none] = run(after, { kind: 'answered', then: thenOf(again, 'status'), result: status });
    expect(none).toEqual([]);
    expect(idle.io.refresh).toBe('idle');
  });

  it("drops the previous repository's answer after a switch, and a new reload does not wait for it", () => {
    const [m, first] = run(model(), { kind: 'refresh-asked' }, { kind: 'repo-switched' }, { kind: 'refresh-asked' });
    expect(calls(first)).toHaveLength(2);
    const stale = { paused: true, tasks: [], locks: [], conflicts: [], daemon: { pid: 1 } };
    const [after, none] = run(m, { kind: 'answered', then: thenOf(first, 'status'), result: stale });
    expect(none).toEqual([]);
    expect(after.ui.tasks).toEqual(m.ui.tasks);
  });

  it('never shows an older merge queue over a newer one', () => {
    const [m, commands] = run(model(), key('5'), key('5'));
    const [older, newer] = commands
      .filter((c) => c.kind === 'call' && c.call.method === 'merge.list')
      .map((c) => (c.kind === 'call' ? c.then : null)) as Then[];
    const queue = (n: number) => ({ target: 'main', tip: 'abc', queue: [] as MergeEntry[], undo: null, running: null, n });
    const [after] = run(m, { kind: 'answered', then: newer!, result: queue(2) }, { kind: 'answered', then: older!, result: queue(1) });
    expect(after.ui.merges).toMatchObject({ n: 2 });
  });

  it('rings and words the next step of a notification in the keys of this key map', () => {
    const rebound = applyOverrides(DEFAULT_BINDINGS, { 'task.done': 'F' });
    if (!rebound.ok) throw new Error(rebound.problems.join('\n'));
    const notice: CockpitEvent = {
      kind: 'published',
      event: { topic: 'notify', data: { kind: 'finished', task: 1, message: '#1 idle with 2 commits', reason: 'idle-with-work' } },
    };
    const [m, commands] = run(model(rebound.bindings), notice);
    expect(commands[0]).toEqual({ kind: 'bell' });
    expect(m.ui.flash?.text).toMatch(/^#1 idle with 2 commits; F /);
  });

  it('reads again once after a burst of task events, when its timer fires', () => {
    const task = shopTasks()[0]!;
    const event: CockpitEvent = { kind: 'published', event: { topic: 'task', data: { ...task, activity: 'idle' } } };
    const [m, commands] = run(model(), event, event, event);
    expect(commands).toEqual([{ kind: 'timer', timer: { name: 'refresh' }, ms: 150 }]);
    expect(m.ui.tasks.find((t) => t.id === 1)?.activity).toBe('idle');
    const [, due] = run(m, { kind: 'timer-fired', timer: { name: 'refresh' } });
    expect(calls(due)).toEqual([{ method: 'status', params: {} }]);
  });

  it('keeps a refused form open with the reason and what was typed, and sends it only once while waiting', () => {
    const [open] = run(model(), key('n'), ...[...'Fix it'].map((ch) => key(ch === ' ' ? 'space' : ch, ch)));
    const [sending, commands] = run(open, key('enter'), key('enter'));
    expect(calls(commands).map((c) => c.method)).toEqual(['task.add']);
    const [refused] = run(sending, { kind: 'refused', then: thenOf(commands, 'task.add'), error: 'Unknown agent "x".' });
    expect(refused.ui.overlay).toMatchObject({
      kind: 'form',
      form: { error: 'Unknown agent "x".', fields: expect.arrayContaining([expect.objectContaining({ name: 'title', value: 'Fix it' })]) },
    });
    expect(refused.io.submitting).toBe(false);
  });

  it('takes esc and a key read together as esc, then the key', () => {
    const [m] = run(model(), key('?'), key('meta+2' as KeyName));
    expect(m.ui.overlay).toBeNull();
    expect(m.ui.view).toBe('tasks');
  });

  it('lets a message go only when its own timer fires', () => {
    const [m] = run(model(), key('p'));
    const said = { ...m, ui: { ...m.ui, flash: { text: 'new', tone: 'info' as const, at: 2000 } } };
    const [kept] = run(said, { kind: 'timer-fired', timer: { name: 'flash', at: 1000 } });
    expect(kept.ui.flash?.text).toBe('new');
    const [gone] = run(said, { kind: 'timer-fired', timer: { name: 'flash', at: 2000 } });
    expect(gone.ui.flash).toBeNull();
  });

  it('shows the offline dialog when the supervisor goes, and r asks the host to start it', () => {
    const [m, commands] = run(model(), { kind: 'disconnected' }, key('r'));
    expect(m.ui.overlay).toEqual({ kind: 'offline', starting: true, error: null });
    expect(commands).toEqual([{ kind: 'reconnect' }]);
  });

  it("says how a full-screen attach ended, and lets only a detach's next key read the agent it came back from", () => {
    const size = { cols: 100, rows: 40 };
    const [attached] = run(model(), { kind: 'attach-began', task: 3 });
    expect(attached.ui.attached).toBe(3);
    const [ended] = run(attached, { kind: 'attach-ended', task: 3, size, outcome: { kind: 'ended', exitCode: 2, signal: null } });
    expect(ended.ui).toMatchObject({ attached: null, size });
    expect(ended.ui.flash).toMatchObject({ text: "#3's agent exited (code 2); its last screen stays in the agents view.", tone: 'notice' });
    expect(ended.io.detachedFrom).toBeNull();
    const [detached] = run(attached, { kind: 'attach-ended', task: 3, size, outcome: { kind: 'detached' } });
    expect(detached.ui.flash).toBeNull();
    expect(detached.io.detachedFrom).toBe(3);
    const [failed] = run(attached, { kind: 'attach-ended', task: 3, size, outcome: { kind: 'failed', message: 'No task #3.' } });
    expect(failed.ui.flash).toMatchObject({ text: 'No task #3.', tone: 'error' });
  });

  it("shows another repository of a fleet with nothing of the previous one's, and drops its reads still in flight", () => {
    const fleet = { current: 1, repos: [] };
    const [before, first] = run(model(), { kind: 'refresh-asked' });
    const [shown] = run(before, { kind: 'repo-shown', fleet, name: 'shop', lost: null });
    expect(shown.ui.tasks).toEqual([]);
    expect(shown.ui.fleet).toEqual(fleet);
    expect(shown.ui.flash?.text).toBe('Showing shop.');
    expect(shown.io.generation).toBe(before.io.generation + 1);
    const [stale] = run(shown, {
      kind: 'answered',
      then: thenOf(first, 'status'),
      result: { paused: true, tasks: shopTasks(), locks: [], conflicts: [], daemon: { pid: 1 } },
    });
    expect(stale.ui.tasks).toEqual([]);
    const [lost] = run(before, { kind: 'repo-shown', fleet, name: 'shop', lost: 'The link to shop is down; retrying.' });
    expect(lost.ui.flash).toMatchObject({ text: 'The link to shop is down; retrying.', tone: 'error' });
  });

  it('says when the link of the repository on screen is lost, and reads everything again when it is back', () => {
    const [lost] = run(model(), { kind: 'link-lost', message: 'Lost the link to shop; retrying.' });
    expect(lost.ui.connected).toBe(false);
    expect(lost.ui.flash).toMatchObject({ text: 'Lost the link to shop; retrying.', tone: 'error' });
    const [back, commands] = run(lost, { kind: 'link-back', name: 'shop' });
    expect(back.ui.flash).toMatchObject({ text: 'Connection to shop is back.', tone: 'notice' });
    expect(calls(commands)).toEqual([{ method: 'status', params: {} }]);
  });
});
