import { describe, expect, it } from 'vitest';
import { METHODS, type MethodName } from '../../../src/protocol/methods.js';
import { hostScopeRefusal, HOST_METHODS } from '../../../src/supervisor/handlers/host-scope.js';

const far = { host: 'far', task: 2, pid: 4242, comm: 'node', how: 'it runs in the session of task #2’s agent on this host', worktree: '/w/task-2' };

describe('what a connection forwarded by a host may ask (host-scope.ts)', () => {
  it("lets through what an agent's hooks, commit guard, MCP tools and brief call for its own task", () => {
    const asks: [MethodName, unknown][] = [
      ['ping', {}],
      ['status', {}],
      ['agent.pre-edit', { path: '/w/task-2/a.ts' }],
      ['agent.status', { status: 'working' }],
      ['agent.session', { id: 's' }],
      ['agent.turn-ended', {}],
      ['lock.acquire', { resources: ['a.ts'] }],
      ['lock.release', { resources: ['a.ts'] }],
      ['lock.list', {}],
      ['lock.check', { paths: ['a.ts'] }],
      ['lock.guard', { paths: ['a.ts'] }],
      ['context.add', { text: 'x' }],
      ['context.show', {}],
      ['conflicts', { fresh: false }],
      ['task.show', { id: 2 }],
      ['task.detail', { id: 2 }],
      ['task.done', { summary: 'done' }],
    ];
    for (const [m, p] of asks) expect(hostScopeRefusal(m, p, far), m).toBeNull();
  });

  it('refuses the rest, saying what, why and where to run it instead', () => {
    for (const m of Object.keys(METHODS) as MethodName[]) {
      if (HOST_METHODS[m]) continue;
      const why = hostScopeRefusal(m, {}, far);
      expect(why, m).toContain(`Refused "${m}" from pid 4242 (node) on host far, for task #2`);
      expect(why, m).toContain("Run it on the operator's machine");
    }
    // Adding tasks, other tasks' screens, the merge queue: never from a host.
    for (const m of ['task.add', 'term.attach', 'term.watch', 'term.log', 'term.history', 'merge.approve', 'merge.diff', 'subscribe', 'task.cancel'] as const)
      expect(hostScopeRefusal(m, { task: 1, id: 1 }, far), m).not.toBeNull();
  });

  it("refuses reading another task in full (its prompt, its diff), even the host's other tasks", () => {
    expect(hostScopeRefusal('task.show', { id: 1 }, far)).toMatch(/Refused "task.show" of task #1 .* reads only its own task/);
    expect(hostScopeRefusal('task.detail', { id: 3 }, far)).toMatch(/of task #3/);
  });
});
