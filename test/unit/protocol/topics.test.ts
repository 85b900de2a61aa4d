import { describe, expect, it } from 'vitest';
import { METHODS } from '../../../src/protocol/methods.js';
import { TOPIC_NAMES } from '../../../src/protocol/topic-names.js';
import { parseTopicEvent, TOPICS } from '../../../src/protocol/topics.js';

describe('event topics', () => {
  it('has a schema for every topic a client may subscribe to, and no other', () => {
    expect(Object.keys(TOPICS).sort()).toEqual([...TOPIC_NAMES].sort());
  });

  it('refuses a subscription to a topic the supervisor never publishes', () => {
    expect(METHODS.subscribe.params.safeParse({ topics: ['task', 'notify'] }).success).toBe(true);
    expect(METHODS.subscribe.params.safeParse({ topics: ['tasks'] }).success).toBe(false);
  });

  it('reads an event checked against its topic, and drops one of an unknown topic or with data of another shape', () => {
    expect(parseTopicEvent({ topic: 'locks', data: { count: 2 } })).toEqual({ topic: 'locks', data: { count: 2 } });
    expect(parseTopicEvent({ topic: 'lock', data: { count: 2 } })).toBeNull();
    expect(parseTopicEvent({ topic: 'notify', data: { kind: 'waiting', message: 'x' } })).toBeNull();
    expect(parseTopicEvent({ topic: 'rows', data: { task: 1, rows: 'not rows' } })).toBeNull();
  });
});
