import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MusterState } from '../../../src/core/state.js';
import { decide, type Decision, type TaskCommand } from '../../../src/core/task-lifecycle.js';
import { canTransition, getTask } from '../../../src/core/task-queue.js';
import { TASK_STATES, type TaskState } from '../../../src/core/task.js';
import { stateWith, T0 } from './build.js';

const AGENTS = ['shell', 'claude'];
const NOW = '2026-01-01T01:00:00.000Z';
const actor = 'operator (pid 1)';

/** One task (#1) forced into `state`, behind another (#2, ready). */
function withTask(state: TaskState): MusterState {
  const s = stateWith([{}, {}]);
  return { ...s, tasks: s.tasks.map((t) => (t.id === 1 ? { ...t, state } : t)) };
}

function recorded(d: Decision): Extract<Decision, { kind: 'record' }> {
  if (d.kind !== 'record') throw new Error(`expected a record decision, got ${JSON.stringify(d)}`);
  return d;
}

/** Decides a command through its effects, with `stopped` and `archive` outcomes that went well. */
function settle(command: TaskCommand, state: MusterState): Decision {
  let d = decide(command, state, NOW);
  for (let i = 0; d.kind === 'run' && i < 3; i++) {
    const outcome: Record<string, unknown> = {};
    for (const e of d.effects) {
      if (e.kind === 'stop-agent') outcome.stopped = { alive: null };
      if (e.kind === 'archive-work') outcome.archive = { ok: true, ref: 'refs/muster/archive/task-1/1', commit: 'abc' };
    }
    d = decide({ ...command, ...outcome } as TaskCommand, state, NOW);
  }
  return d;
}

const commands: Record<string, TaskCommand> = {
  cancel: { kind: 'cancel', id: 1, actor },
  done: { kind: 'done', id: 1, actor, summary: null },
  retry: { kind: 'retry', id: 1, fresh: false, actor },
  assign: { kind: 'assign', id: 1, agent: 'claude', agents: AGENTS, actor },
  reject: { kind: 'reject', id: 1, feedback: 'the tests fail', actor, live: false },
  'reject live': { kind: 'reject', id: 1, feedback: 'the tests fail', actor, live: true },
};

/** Where each command leaves task #1 from each state, or why it is refused. */
const TABLE: Record<string, Record<TaskState, TaskState | string>> = {
  cancel: {
    backlog: 'cancelled',
    ready: 'cancelled',
    running: 'cancelled',
    review: 'cancelled',
    merging: 'landed',
    merged: 'landed',
    stalled: 'cancelled',
    failed: 'cancelled',
    cancelled: 'already-cancelled',
  },
  done: {
    backlog: 'not-doable',
    ready: 'not-doable',
    running: 'review',
    review: 'review',
    merging: 'not-doable',
    merged: 'not-doable',
    stalled: 'review',
    failed: 'review',
    cancelled: 'not-doable',
  },
  retry: {
    backlog: 'not-retryable',
    ready: 'not-retryable',
    running: 'not-retryable',
    review: 'not-retryable',
    merging: 'not-retryable',
    merged: 'not-retryable',
    stalled: 'ready',
    failed: 'ready',
    cancelled: 'ready',
  },
  assign: {
    backlog: 'backlog',
    ready: 'ready',
    running: 'ready',
    review: 'review',
    merging: 'not-reassignable',
    merged: 'not-reassignable',
    stalled: 'stalled',
    failed: 'failed',
    cancelled: 'not-reassignable',
  },
  reject: {
    backlog: 'not-in-review',
    ready: 'not-in-review',
    running: 'not-in-review',
    review: 'ready',
    merging: 'being-merged',
    merged: 'not-in-review',
    stalled: 'not-in-review',
    failed: 'not-in-review',
    cancelled: 'not-in-review',
  },
  'reject live': {
    backlog: 'not-in-review',
    ready: 'not-in-review',
    running: 'not-in-review',
    review: 'running',
    merging: 'being-merged',
    merged: 'not-in-review',
    stalled: 'not-in-review',
    failed: 'not-in-review',
    cancelled: 'not-in-review',
  },
};

describe('the task lifecycle', () => {
  for (const [name, row] of Object.entries(TABLE)) {
    it.each(TASK_STATES.map((s) => [s, row[s]] as const))(`${name} from %s: %s`, (from, expected) => {
      const d = settle(commands[name]!, withTask(from));
      if ((TASK_STATES as readonly string[]).includes(expected)) expect(getTask(recorded(d).state, 1)?.state).toBe(expected);
      else expect(d).toEqual({ kind: 'refused', reason: expect.objectContaining({ why: expected, task: 1 }) });
    });
  }

  it('stops the agent and archives the work before a cancel is recorded, and ends the task after', () => {
    const s = withTask('running');
    expect(decide(commands.cancel!, s, NOW)).toEqual({
      kind: 'run',
      effects: [
        { kind: 'stop-agent', task: 1 },
        { kind: 'archive-work', task: 1, why: 'cancelled' },
      ],
    });
    const d = recorded(
      decide(
        { kind: 'cancel', id: 1, actor, archive: { ok: false, reason: 'the snapshot is incomplete' } },
        { ...s, tasks: s.tasks.map((t) => (t.id === 1 ? { ...t, worktree: '/w/task-1' } : t)) },
        NOW,
      ),
    );
    expect(getTask(d.state, 1)).toMatchObject({
      state: 'cancelled',
      ports: null,
      reason: `cancelled by ${actor}; its worktree /w/task-1 stays (the snapshot is incomplete)`,
    });
    expect(d.events).toEqual([
      { actor, kind: 'task-cancelled', details: { task: 1, from: 'running', archive: null, commit: null, notArchived: 'the snapshot is incomplete' } },
    ]);
    expect(d.effects).toEqual([{ kind: 'task-ended', task: 1 }]);
  });

  it('types a rejection into a live session before it is recorded, on one line, and keeps the feedback', () => {
    const d = recorded(decide({ kind: 'reject', id: 1, feedback: ' fix a\nand b ', actor, live: true }, withTask('review'), NOW));
    expect(d.prepare).toEqual([{ kind: 'type-into-session', task: 1, text: 'fix a and b\r' }]);
    expect(getTask(d.state, 1)).toMatchObject({ state: 'running', feedback: ['fix a\nand b'], reason: 'rejected: feedback typed into its session' });
    expect(decide({ kind: 'reject', id: 1, feedback: '  ', actor, live: true }, withTask('review'), NOW)).toEqual({
      kind: 'refused',
      reason: { why: 'no-feedback', task: 1 },
    });
  });

  it('refuses a retry while the previous run is still alive after the stop', () => {
    const d = decide({ ...commands.retry!, stopped: { alive: 'pid 42 (sleep)' } } as TaskCommand, withTask('failed'), NOW);
    expect(d).toEqual({ kind: 'refused', reason: { why: 'still-alive', task: 1, processes: 'pid 42 (sleep)' } });
  });

  it('puts a retried task whose dependency is not merged back in the backlog, saying what it waits for', () => {
    const s = withTask('cancelled');
    const behind = { ...s, tasks: s.tasks.map((t) => (t.id === 1 ? { ...t, after: [2] } : t)) };
    const task = getTask(recorded(settle(commands.retry!, behind)).state, 1);
    expect(task).toMatchObject({ state: 'backlog', reason: 'waits for #2' });
  });

  it('forgets the current agent conversation on a fresh retry only', () => {
    const s = withTask('stalled');
    const conv = { agent: 'shell', kind: null, id: 'c1', transcript: null, startedAt: T0, feedbackSeen: 0 };
    const withConv = { ...s, tasks: s.tasks.map((t) => (t.id === 1 ? { ...t, conversations: [conv] } : t)) };
    expect(getTask(recorded(settle({ kind: 'retry', id: 1, fresh: true, actor }, withConv)).state, 1)?.conversations).toEqual([]);
    expect(getTask(recorded(settle({ kind: 'retry', id: 1, fresh: false, actor }, withConv)).state, 1)?.conversations).toEqual([conv]);
  });

  it('refuses an unknown agent before looking at the state, in the same words as task add', () => {
    const d = decide({ ...commands.assign!, agent: 'gpt' } as TaskCommand, withTask('merged'), NOW);
    expect(d.kind === 'refused' && d.reason.why === 'refused' && d.reason.refusal).toMatchObject({
      kind: 'bad-input',
      message: expect.stringMatching(/^Unknown agent "gpt"\. Configured agents: shell, claude/),
    });
    const add = decide({ kind: 'add', input: { title: 'x', agent: 'gpt' }, agents: AGENTS, actor }, withTask('ready'), NOW);
    expect(add.kind === 'refused' && add.reason.why === 'refused' && add.reason.refusal.message).toBe(
      d.kind === 'refused' && d.reason.why === 'refused' && d.reason.refusal.message,
    );
  });

  it('adds a task with its prompt saved before it is recorded', () => {
    const d = recorded(decide({ kind: 'add', input: { title: ' Fix it ', prompt: 'do it', agent: 'shell' }, agents: AGENTS, actor }, withTask('ready'), NOW));
    expect(d.task).toBe(3);
    expect(d.prepare).toEqual([{ kind: 'save-prompt', task: getTask(d.state, 3), text: 'do it' }]);
    expect(d.events[0]).toMatchObject({ kind: 'task-added', details: { task: 3, title: 'Fix it' } });
  });

  it('records nothing for a done in review without a new summary', () => {
    const s = withTask('review');
    const d = recorded(decide(commands.done!, s, NOW));
    expect(d.state).toBe(s);
    expect(d.events).toEqual([]);
  });

  it('refuses every command on a task that does not exist', () => {
    for (const c of Object.values(commands))
      expect(decide({ ...c, id: 9 } as TaskCommand, withTask('ready'), NOW)).toEqual({ kind: 'refused', reason: { why: 'no-such-task', task: 9 } });
  });
});

describe('the task lifecycle, on any sequence of commands', () => {
  const command: fc.Arbitrary<TaskCommand> = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      input: fc.record({ title: fc.constantFrom('a', 'b'), agent: fc.constantFrom('shell', 'gpt'), after: fc.constantFrom<number[]>([], [1], [2]) }),
      agents: fc.constant(AGENTS),
      actor: fc.constant(actor),
    }),
    fc.record({ kind: fc.constant('cancel' as const), id: fc.integer({ min: 1, max: 5 }), actor: fc.constant(actor) }),
    fc.record({ kind: fc.constant('done' as const), id: fc.integer({ min: 1, max: 5 }), actor: fc.constant(actor), summary: fc.constantFrom(null, 'did it') }),
    fc.record({ kind: fc.constant('retry' as const), id: fc.integer({ min: 1, max: 5 }), fresh: fc.boolean(), actor: fc.constant(actor) }),
    fc.record({
      kind: fc.constant('assign' as const),
      id: fc.integer({ min: 1, max: 5 }),
      agent: fc.constantFrom('shell', 'claude', 'gpt'),
      agents: fc.constant(AGENTS),
      actor: fc.constant(actor),
    }),
    fc.record({
      kind: fc.constant('reject' as const),
      id: fc.integer({ min: 1, max: 5 }),
      feedback: fc.constantFrom('', 'again'),
      actor: fc.constant(actor),
      live: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('move' as const),
      id: fc.integer({ min: 1, max: 5 }),
      move: fc.constantFrom({ kind: 'up' as const }, { kind: 'top' as const }, { kind: 'down' as const }),
      actor: fc.constant(actor),
    }),
  );
  const forced = fc.array(fc.constantFrom(...TASK_STATES), { minLength: 1, maxLength: 4 });

  it('only ever makes transitions the state machine has, keeps every id once in the order, and records an audit line for every change', () => {
    fc.assert(
      fc.property(forced, fc.array(command, { maxLength: 12 }), (states, cmds) => {
        let s = stateWith(states.map((state) => ({ state })));
        for (const c of cmds) {
          const d = settle(c, s);
          if (d.kind !== 'record') continue;
          for (const after of d.state.tasks) {
            const before = getTask(s, after.id);
            // Moving between backlog and ready (task move) is not a transition of the state machine.
            const shuffled = ['backlog', 'ready'].includes(before?.state ?? '') && ['backlog', 'ready'].includes(after.state);
            // Becoming ready with a dependency not merged is waiting in the backlog (a retried task whose dependency is not in yet).
            const waiting = after.state === 'backlog' && before !== undefined && canTransition(before.state, 'ready');
            if (before && before.state !== after.state)
              expect(canTransition(before.state, after.state) || shuffled || waiting, `#${after.id} ${before.state} -> ${after.state}`).toBe(true);
          }
          expect(new Set(d.state.order).size).toBe(d.state.order.length);
          expect([...d.state.order].sort()).toEqual(d.state.tasks.map((t) => t.id).sort());
          if (d.state !== s) expect(d.events.length).toBeGreaterThan(0);
          s = d.state;
        }
      }),
    );
  });

  it('never changes the state when it refuses, and never refuses without a reason', () => {
    fc.assert(
      fc.property(forced, command, (states, c) => {
        const s = stateWith(states.map((state) => ({ state })));
        const copy = structuredClone(s);
        const d = decide(c, s, NOW);
        expect(s).toEqual(copy);
        if (d.kind === 'refused') expect(d.reason.why).toBeTruthy();
      }),
    );
  });
});
