import * as z from 'zod/mini';
import { lazyTable } from './lazy-table.js';
import type { TOPIC_NAMES } from './topic-names.js';
import { conflictViewSchema, logEventSchema, rowFrameSchema, screenEventSchema, taskViewSchema } from './shapes.js';

/**
 * Every event the supervisor publishes, by topic: what its data is, checked where it is read.
 * Like the methods, built on first use.
 */
export const TOPICS = lazyTable({
  /** A task changed (sent for each changed task). */
  task: () => taskViewSchema,
  /** The queue's order or the dispatch switch changed. */
  queue: () => z.object({ order: z.array(z.int()), paused: z.boolean() }),
  /** The conflicts now found, all of them. */
  conflicts: () => z.array(conflictViewSchema),
  /** The shared context changed; `unread` blockers are not acknowledged. */
  context: () => z.object({ unread: z.int() }),
  /** Something the operator should notice: status line, bell, header count. */
  notify: () =>
    z.object({
      kind: z.enum(['waiting-input', 'finished', 'failed', 'blocker']),
      /** What happened, without keys or commands: those differ by client. */
      message: z.string(),
      task: z.optional(z.int()),
      /** Why, as data (`idle-with-work`): each client words the next step (`nextStepAfter`) in its own keys or commands. */
      reason: z.optional(z.string()),
    }),
  /** Changed rows of a watched pane. */
  rows: () => rowFrameSchema,
  /** The config was read again; `error` when it was not applied. */
  config: () => z.object({ error: z.nullable(z.string()) }),
  locks: () => z.object({ count: z.int() }),
  /** The merge queue or a merge's progress changed; `running`: the task being merged. */
  merges: () => z.object({ running: z.nullable(z.int()) }),
  /** Lines of a followed log (only to the connection that asked). */
  log: () => logEventSchema,
  /** An attached agent's screen (only to the connection that attached). */
  screen: () => screenEventSchema,
});

export type TopicName = keyof typeof TOPICS;
/** What a topic's event carries, as the publisher builds it. */
export type TopicInput<T extends TopicName> = z.input<(typeof TOPICS)[T]>;
export type TopicData<T extends TopicName> = z.output<(typeof TOPICS)[T]>;
/** One event, its data typed by its topic. */
export type TopicEvent = { [T in TopicName]: { topic: T; data: TopicData<T> } }[TopicName];

// The name list and the table name the same topics.
const sameNames: [TopicName, (typeof TOPIC_NAMES)[number]] extends [(typeof TOPIC_NAMES)[number], TopicName] ? true : never = true;
void sameNames;

export function isTopic(name: string): name is TopicName {
  return Object.prototype.hasOwnProperty.call(TOPICS, name);
}

/** An event off the wire, checked against its topic's schema; null for an unknown topic or data that does not fit. */
export function parseTopicEvent(e: { topic: string; data: unknown }): TopicEvent | null {
  if (!isTopic(e.topic)) return null;
  const parsed = (TOPICS[e.topic] as z.ZodMiniType).safeParse(e.data);
  return parsed.success ? ({ topic: e.topic, data: parsed.data } as TopicEvent) : null;
}
