import type { Refusal } from './result.js';
import type { AuditEvent, MusterState } from './state.js';
import { addTask, checkAgent, getTask, moveTask, settleDependencies, transition, updateTask, validateTaskInput, type QueueMove } from './task-queue.js';
import { canBeMarkedDone, canBeReassigned, canBeRetried, isLanding } from './task-states.js';
import type { Task, TaskId, TaskInput, TaskState } from './task.js';

/** An audit line a decision records with its state (the supervisor stamps the time). */
export type LifecycleEvent = Omit<AuditEvent, 'time'>;

/** What became of archiving a task's work (its worktree and branch) before it was cancelled. */
export type ArchiveOutcome = { ok: true; ref: string | null; commit: string | null } | { ok: false; reason: string };

/** What stopping a task's agent left: the processes still alive after SIGKILL, described, or null. */
export interface StopOutcome {
  alive: string | null;
}

/**
 * The task commands, as the supervisor hands them to `decide`. A command whose outcome
 * depends on I/O (stopping an agent, archiving its work) is decided twice: first without the
 * outcome (the decision names the effects to run), then with it.
 */
export type TaskCommand =
  | { kind: 'add'; input: TaskInput; agents: readonly string[]; actor: string }
  | { kind: 'cancel'; id: TaskId; actor: string; stopped?: StopOutcome; archive?: ArchiveOutcome }
  | { kind: 'move'; id: TaskId; move: QueueMove; actor: string }
  | { kind: 'assign'; id: TaskId; agent: string; agents: readonly string[]; actor: string; stopped?: StopOutcome }
  | { kind: 'done'; id: TaskId; actor: string; summary: string | null }
  | { kind: 'retry'; id: TaskId; fresh: boolean; actor: string; stopped?: StopOutcome }
  /** Back to its agent with the operator's feedback; `live` says whether its agent process still runs. */
  | { kind: 'reject'; id: TaskId; feedback: string; actor: string; live: boolean };

/** What the supervisor does for a decision: plain data, run by the handler in order. */
export type TaskEffect =
  /** Stop the task's agent and everything its runs left; the command is decided again after. */
  | { kind: 'stop-agent'; task: TaskId }
  /** Keep the task's work under a ref before its worktree may go; decided again with the outcome. */
  | { kind: 'archive-work'; task: TaskId; why: string }
  /** The task left for good: its locks go (and an import's, once all its tasks have). */
  | { kind: 'task-ended'; task: TaskId };

/**
 * Done just before a decision is recorded, synchronously: nothing may come between a decision
 * and its record, or another request would decide on the same state and one change be lost.
 */
export type PrepareEffect =
  /** Write the prompt's text to its file before the task that refers to it is recorded. */
  | { kind: 'save-prompt'; task: Task; text: string }
  /** Type a line into the task's live agent session, as if the operator had. */
  | { kind: 'type-into-session'; task: TaskId; text: string };

/** Why a command was refused, as data: the supervisor words it, each client says what to do next. */
export type StopReason =
  | { why: 'no-such-task'; task: TaskId }
  | { why: 'already-cancelled'; task: TaskId }
  | { why: 'landed'; task: TaskId; state: TaskState }
  | { why: 'not-reassignable'; task: TaskId; state: TaskState }
  | { why: 'not-doable'; task: TaskId; state: TaskState }
  | { why: 'not-retryable'; task: TaskId; state: TaskState }
  | { why: 'still-alive'; task: TaskId; processes: string }
  | { why: 'no-feedback'; task: TaskId }
  | { why: 'being-merged'; task: TaskId }
  | { why: 'not-in-review'; task: TaskId; state: TaskState }
  /** A refusal of the queue core (input checks, the state machine), already worded there. */
  | { why: 'refused'; refusal: Refusal };

export type Decision =
  | { kind: 'refused'; reason: StopReason }
  /** Nothing to record yet: run `effects`, then decide the command again with their outcome. */
  | { kind: 'run'; effects: TaskEffect[] }
  /**
   * Record `state` with `events`: `prepare` runs before (a failure records nothing), `effects`
   * after it is durable. `task` is the task the command acted on.
   */
  | { kind: 'record'; task: TaskId; state: MusterState; events: LifecycleEvent[]; prepare: PrepareEffect[]; effects: TaskEffect[] };

const refused = (reason: StopReason): Decision => ({ kind: 'refused', reason });
const record = (task: TaskId, state: MusterState, events: LifecycleEvent[], more: { prepare?: PrepareEffect[]; effects?: TaskEffect[] } = {}): Decision => ({
  kind: 'record',
  task,
  state,
  events,
  prepare: more.prepare ?? [],
  effects: more.effects ?? [],
});

/** Applies a refusable core step, or says why it was refused. */
function step<S>(r: { ok: true; value: S } | { ok: false; error: Refusal }, then: (s: S) => Decision): Decision {
  return r.ok ? then(r.value) : refused({ why: 'refused', refusal: r.error });
}

/**
 * The task lifecycle: which command is allowed in which state, the state it leaves, what is
 * audited and which effects the supervisor runs. Pure: `now` is passed in, nothing is read.
 */
export function decide(command: TaskCommand, state: MusterState, now: string): Decision {
  if (command.kind === 'add') {
    return step(validateTaskInput(state, command.input, command.agents), (input) => {
      const added = addTask(state, input, now);
      const t = added.task;
      return record(
        t.id,
        added.state,
        [{ actor: command.actor, kind: 'task-added', details: { task: t.id, title: t.title, agent: t.agent, risk: t.risk, after: t.after } }],
        {
          prepare: [{ kind: 'save-prompt', task: t, text: input.prompt }],
        },
      );
    });
  }
  const task = getTask(state, command.id);
  if (!task) return refused({ why: 'no-such-task', task: command.id });
  const id = task.id;
  switch (command.kind) {
    case 'cancel': {
      if (task.state === 'cancelled') return refused({ why: 'already-cancelled', task: id });
      if (isLanding(task.state)) return refused({ why: 'landed', task: id, state: task.state });
      const archive = command.archive;
      if (!archive)
        return {
          kind: 'run',
          effects: [
            { kind: 'stop-agent', task: id },
            { kind: 'archive-work', task: id, why: 'cancelled' },
          ],
        };
      // The worktree stays either way; when the snapshot is not complete the reason says so instead of naming a ref that lacks part of the work.
      const kept = archive.ok ? (archive.ref ? `; work kept at ${archive.ref}` : '') : `; its worktree ${task.worktree} stays (${archive.reason})`;
      return step(transition(state, id, 'cancelled', now, `cancelled by ${command.actor}${kept}`), (next) =>
        record(
          id,
          updateTask(next, id, { ports: null }, now),
          [
            {
              actor: command.actor,
              kind: 'task-cancelled',
              details: {
                task: id,
                from: task.state,
                archive: archive.ok ? archive.ref : null,
                commit: archive.ok ? archive.commit : null,
                ...(archive.ok ? {} : { notArchived: archive.reason }),
              },
            },
          ],
          { effects: [{ kind: 'task-ended', task: id }] },
        ),
      );
    }
    case 'move':
      return step(moveTask(state, id, command.move), (next) =>
        record(id, next, [{ actor: command.actor, kind: 'task-moved', details: { task: id, move: command.move } }]),
      );
    case 'assign': {
      const agent = checkAgent(command.agent, command.agents);
      if (!agent.ok) return refused({ why: 'refused', refusal: agent.error });
      if (!canBeReassigned(task.state)) return refused({ why: 'not-reassignable', task: id, state: task.state });
      const handoffFrom = task.sessions.length ? task.agent : null;
      const events: LifecycleEvent[] = [{ actor: command.actor, kind: 'task-assigned', details: { task: id, from: task.agent, to: command.agent } }];
      // The current session stops; the task goes back to ready and dispatch restarts it at once.
      if (task.state === 'running' && !command.stopped) return { kind: 'run', effects: [{ kind: 'stop-agent', task: id }] };
      if (!command.stopped) return record(id, updateTask(state, id, { agent: command.agent, handoffFrom }, now), events);
      return step(transition(state, id, 'ready', now, `reassigned to ${command.agent}`), (back) =>
        record(id, updateTask(back, id, { agent: command.agent, handoffFrom }, now), events),
      );
    }
    case 'done': {
      const summary = command.summary;
      if (task.state === 'review') {
        const changed = summary && summary !== task.summary;
        return record(
          id,
          changed ? updateTask(state, id, { summary }, now) : state,
          changed ? [{ actor: command.actor, kind: 'task-summary', details: { task: id, summary } }] : [],
        );
      }
      if (!canBeMarkedDone(task.state)) return refused({ why: 'not-doable', task: id, state: task.state });
      // An agent that says it is done keeps its process (a rejection can be typed into it); its
      // task keeps the worker until that process exits or is stopped.
      return step(transition(state, id, 'review', now, `marked done by ${command.actor}`), (next) =>
        record(id, updateTask(next, id, { idleWithWork: false, ...(summary ? { summary } : {}) }, now), [
          { actor: command.actor, kind: 'task-done', details: { task: id, from: task.state, ...(summary ? { summary } : {}) } },
        ]),
      );
    }
    case 'retry': {
      const stopped = command.stopped;
      if (!stopped) {
        if (!canBeRetried(task.state)) return refused({ why: 'not-retryable', task: id, state: task.state });
        // Never a second agent beside the first: its whole run is stopped, and waited for.
        return { kind: 'run', effects: [{ kind: 'stop-agent', task: id }] };
      }
      if (stopped.alive) return refused({ why: 'still-alive', task: id, processes: stopped.alive });
      return step(transition(state, id, 'ready', now, command.fresh ? 'retry (fresh conversation)' : 'retry'), (moved) => {
        // --fresh forgets the current agent's conversation, so the next session starts cold.
        const next = command.fresh ? updateTask(moved, id, { conversations: task.conversations.filter((c) => c.agent !== task.agent) }, now) : moved;
        return record(id, settleDependencies(next), [
          { actor: command.actor, kind: 'task-retried', details: { task: id, from: task.state, fresh: command.fresh } },
        ]);
      });
    }
    case 'reject': {
      const said = command.feedback.trim();
      if (!said) return refused({ why: 'no-feedback', task: id });
      if (task.state === 'merging') return refused({ why: 'being-merged', task: id });
      if (task.state !== 'review') return refused({ why: 'not-in-review', task: id, state: task.state });
      const feedback = [...task.feedback, said];
      const events: LifecycleEvent[] = [{ actor: command.actor, kind: 'merge-rejected', details: { task: id, feedback: command.feedback } }];
      if (command.live) {
        return step(transition(state, id, 'running', now, 'rejected: feedback typed into its session'), (moved) =>
          record(id, updateTask(moved, id, { feedback }, now), events, {
            prepare: [{ kind: 'type-into-session', task: id, text: `${said.replace(/\r?\n/g, ' ')}\r` }],
          }),
        );
      }
      return step(transition(state, id, 'ready', now, 'rejected: restarts with the feedback'), (moved) =>
        record(id, updateTask(moved, id, { feedback }, now), events),
      );
    }
  }
}
