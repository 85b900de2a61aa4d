/**
 * Every topic the supervisor publishes on, by name only: `subscribe` checks names against this
 * list without building the topics' schemas (topics.ts), which a CLI command's start would pay for.
 */
export const TOPIC_NAMES = ['task', 'queue', 'conflicts', 'context', 'notify', 'rows', 'config', 'locks', 'merges', 'log', 'screen'] as const;
