import type { BlockerView, ConflictView, LockView, TaskView } from '../../../src/protocol/shapes.js';

// Three hours ago, so ages and clocks read like a working afternoon.
const T0 = new Date(Date.now() - 3 * 3_600_000).toISOString();
export const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
export const REPO = '/home/dev/shop';
/** The agents the fake supervisor has configured. */
export const AGENTS = ['claude', 'codex', 'gemini'] as const;
const slug = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 24);

/** A task as the supervisor reports it; `position` is computed by the fake from its queue order. */
export function taskView(p: Partial<TaskView> & Pick<TaskView, 'id' | 'title'>): TaskView {
  const started = p.state !== undefined && !['backlog', 'ready'].includes(p.state);
  return {
    promptBytes: Buffer.byteLength(p.title),
    promptPreview: p.title,
    state: 'ready',
    agent: 'claude',
    risk: 'medium',
    writes: [],
    reads: [],
    after: [],
    branch: started ? `muster/${p.id}-${slug(p.title)}` : null,
    worktree: started ? `${REPO}/.muster/worktrees/${p.id}` : null,
    base: started ? '4b1e0c2a9d7f3e5b6c8a0d1f2e3b4c5d6e7f8a9b' : null,
    ports: null,
    activity: 'unknown',
    activitySince: at(p.id),
    activitySource: 'none',
    reason: null,
    position: null,
    sessions: [],
    feedback: [],
    summary: null,
    session: null,
    conversations: [],
    idleWithWork: false,
    integration: true,
    host: null,
    createdAt: at(0),
    updatedAt: at(p.id),
    ...p,
  };
}

/** A task whose agent is up: an open session, a port slot, a reported activity. */
export function liveTask(p: Partial<TaskView> & Pick<TaskView, 'id' | 'title'>, slot: number): TaskView {
  const agent = p.agent ?? 'claude';
  return taskView({
    state: 'running',
    activity: 'working',
    activitySource: 'reported',
    ports: { slot, base: 3000 + slot * 10, last: 3009 + slot * 10, named: { web: 3000 + slot * 10 } },
    sessions: [{ n: 1, agent, pid: 41_000 + p.id, pidStart: null, startedAt: at(p.id), endedAt: null, exitCode: null, signal: null, dismissed: false }],
    ...p,
  });
}

/** A task whose agent has gone: one closed session. */
export function endedTask(p: Partial<TaskView> & Pick<TaskView, 'id' | 'title'>, exitCode: number): TaskView {
  const agent = p.agent ?? 'claude';
  return taskView({
    activity: 'exited',
    activitySource: 'heuristic',
    sessions: [{ n: 1, agent, pid: 41_000 + p.id, pidStart: null, startedAt: at(p.id), endedAt: at(p.id + 30), exitCode, signal: null, dismissed: false }],
    ...p,
  });
}

/** A small shop repository mid-afternoon: agents running, a queue, two merges waiting, a blocker. */
export function shopTasks(): TaskView[] {
  return [
    liveTask({ id: 1, title: 'Add rate limiting to login', writes: ['src/auth/**'] }, 1),
    liveTask({ id: 2, title: 'Fix flaky checkout test', agent: 'codex', activity: 'waiting-input', writes: ['tests/checkout/**'] }, 2),
    endedTask({ id: 3, title: 'Write API docs for orders', state: 'review', writes: ['docs/api/**'] }, 0),
    taskView({ id: 4, title: 'Migrate cart to new pricing', risk: 'high', writes: ['src/cart/**'] }),
    taskView({ id: 5, title: 'Dark mode for settings page', state: 'backlog', after: [4], reason: 'waits for #4' }),
    endedTask({ id: 6, title: 'Remove legacy coupon code', state: 'failed', reason: 'agent exited with code 1' }, 1),
    liveTask({ id: 7, title: 'Bump eslint to v9', state: 'review', activity: 'idle', risk: 'low' }, 3),
    endedTask({ id: 8, title: 'Cache product images', state: 'merged' }, 0),
    taskView({ id: 9, title: 'Add CSV export to reports', state: 'backlog', after: [4], reason: 'waits for #4' }),
    taskView({ id: 10, title: 'Translate checkout to German', agent: 'gemini' }),
    taskView({ id: 11, title: 'Upgrade React Router to v7', risk: 'high' }),
    taskView({ id: 12, title: 'Add health check endpoint', risk: 'low' }),
    taskView({ id: 13, title: 'Paginate order history' }),
    taskView({ id: 14, title: 'Audit npm dependencies', risk: 'low' }),
  ];
}

export function shopLocks(): LockView[] {
  return [
    { resource: 'src/auth/**', mode: 'write', owner: { task: 1 }, state: 'active', acquiredAt: at(1), expiresAt: null, declared: true },
    { resource: 'tests/checkout/**', mode: 'write', owner: { task: 2 }, state: 'active', acquiredAt: at(2), expiresAt: null, declared: true },
    { resource: 'package.json', mode: 'write', owner: { pid: 4242 }, state: 'stale', acquiredAt: at(-90), expiresAt: at(-30), declared: false },
  ];
}

export const OVERLAP: ConflictView = {
  kind: 'overlap',
  tasks: [1, 2],
  paths: ['src/auth/session.ts'],
  detail: '#1 and #2 both changed src/auth/session.ts',
};

export const CONTEXT_TEXT = [
  '# Shared context',
  '',
  '## Patterns',
  '- [#1 09:12] Validate request bodies with zod at the route edge',
  '',
  '## Blockers',
  '- [#2 09:40] Checkout tests need STRIPE_KEY in .env.test',
  '',
].join('\n');

export function diffOf(task: TaskView): string {
  const lines = [
    'diff --git a/docs/api/orders.md b/docs/api/orders.md',
    '--- a/docs/api/orders.md',
    '+++ b/docs/api/orders.md',
    '@@ -1,3 +1,60 @@',
    ' # Orders API',
  ];
  for (let i = 1; i <= 60; i++) lines.push(`+line ${i} of the change for #${task.id}`);
  return lines.join('\n');
}

/** The blocker #2 posted, not yet acknowledged. */
export function shopBlockers(): BlockerView[] {
  return [{ key: 'b-2-0940', author: '#2', time: '09:40', text: 'Checkout tests need STRIPE_KEY in .env.test', acknowledged: false }];
}
