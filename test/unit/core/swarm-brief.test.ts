import { describe, expect, it } from 'vitest';
import { emptyLockTable, tryAcquire, type LockTable } from '../../../src/core/lock-table.js';
import { BRIEF_MAX_LINES, resumeMessage, swarmBrief, type BriefInput } from '../../../src/core/swarm-brief.js';
import { T0 } from './build.js';

function table(grants: [owner: number, resource: string, mode: 'read' | 'write'][]): LockTable {
  let t = emptyLockTable();
  for (const [task, resource, mode] of grants) {
    const r = tryAcquire(t, { kind: 'task', task }, [{ resource, mode }], T0);
    if (r.ok) t = r.table;
  }
  return t;
}

const task: BriefInput['task'] = {
  id: 4,
  title: 'Fix the login redirect',
  branch: 'muster/4-fix-the-login-redirect',
  worktree: '/r.worktrees/task-4',
  writes: ['src/auth/**'],
  reads: ['src/types/**'],
  risk: 'medium',
  ports: { slot: 1, base: 20010, last: 20019, named: { dev_server: 20010 } },
};

const brief = (p: Partial<BriefInput> = {}) =>
  swarmBrief({
    task,
    locks: emptyLockTable(),
    contextFile: '/r/.git/muster/shared-context.md',
    promptFile: '/r/.git/muster/tasks/4/PROMPT.md',
    tools: 'mcp',
    ...p,
  });

describe('swarmBrief', () => {
  it('tells the agent who it is, what it holds, its ports and the shared context, within 40 lines', () => {
    const b = brief();
    expect(b.split('\n').length - 1).toBeLessThanOrEqual(BRIEF_MAX_LINES);
    expect(b).toMatch(/^# muster: you are task #4/);
    expect(b).toContain('Task: Fix the login redirect');
    expect(b).toContain('Branch muster/4-fix-the-login-redirect, worktree /r.worktrees/task-4');
    expect(b).toContain('Declared writes (write-locked for you): src/auth/**');
    expect(b).toContain('Declared reads (read-locked for you): src/types/**');
    expect(b).toContain('Ports: 20010-20019 (PORT=20010, dev_server=20010)');
    expect(b).toContain('/r/.git/muster/shared-context.md');
  });

  it('lists the write locks of others that overlap what the task declares, and only those', () => {
    const b = brief({
      locks: table([
        [2, 'src/auth/session.ts', 'write'],
        [3, 'docs/**', 'write'],
        [5, 'src/types/user.ts', 'write'],
        [6, 'src/auth/jwt.ts', 'read'],
      ]),
    });
    expect(b).toContain('src/auth/session.ts (#2, write)');
    expect(b).toContain('src/types/user.ts (#5, write)');
    expect(b).not.toContain('docs/**');
    expect(b).not.toContain('jwt.ts');
  });

  it("names the operator's locks of no process as the operator's", () => {
    const r = tryAcquire(emptyLockTable(), { kind: 'operator', pid: 0, startTime: null }, [{ resource: 'src/auth/session.ts', mode: 'write' }], T0);
    if (!r.ok) throw new Error('fixture');
    const b = brief({ locks: r.table });
    expect(b).toContain('src/auth/session.ts (the operator, write)');
    expect(b).not.toContain('pid 0');
  });

  it('shows a task that declares nothing every other write lock, capped with a pointer to the full list', () => {
    const many = table(Array.from({ length: 9 }, (_, i) => [i + 10, `f${i}.ts`, 'write'] as [number, string, 'write']));
    const b = brief({ task: { ...task, writes: [], reads: [], risk: 'low' }, locks: many });
    expect(b).toContain('f0.ts (#10, write)');
    expect(b).toContain('…and 3 more (locks_list shows all)');
    expect(b.split('\n').length - 1).toBeLessThanOrEqual(BRIEF_MAX_LINES);
  });

  it('says how to coordinate with the MCP tools, or with the muster CLI for agents without them', () => {
    const mcp = brief();
    for (const tool of ['lock_acquire', 'lock_release', 'lock_check', 'locks_list', 'context_add', 'context_read', 'task_info', 'report_status', 'task_done'])
      expect(mcp).toContain(tool);
    const cli = brief({ tools: 'cli' });
    expect(cli).toContain('muster lock acquire');
    expect(cli).toContain('muster context add --section decisions');
    expect(cli).toContain('muster task done --summary');
    expect(cli).not.toContain('task_done');
  });

  it('has no line an agent could mistake for an option or a fake-agent command', () => {
    for (const b of [brief(), brief({ tools: 'cli' })]) for (const line of b.split('\n')) expect(line).not.toMatch(/^[-@]/);
  });
});

describe('resumeMessage', () => {
  it('carries only the feedback the conversation has not seen, and says what to do', () => {
    const m = resumeMessage({ taskId: 4, newFeedback: ['rename foo to bar'], handoff: null, promptFile: '/p/PROMPT.md', tools: 'mcp' });
    expect(m).toContain('## Feedback from the operator\n\n1. rename foo to bar');
    expect(m).toContain('task_done');
    expect(m).toContain('/p/PROMPT.md');
  });

  it('passes the hand-off note when other agents worked on the task meanwhile', () => {
    const m = resumeMessage({ taskId: 4, newFeedback: [], handoff: '# Hand-off: task #4 moves from codex to claude', promptFile: '/p', tools: 'cli' });
    expect(m).toContain('# Hand-off: task #4 moves from codex to claude');
    expect(m).toContain('muster task done --summary');
  });

  it('tells a restarted agent to check its worktree and carry on when nothing new happened', () => {
    expect(resumeMessage({ taskId: 4, newFeedback: [], handoff: null, promptFile: '/p', tools: 'mcp' })).toContain('carry on where you left off');
  });
});
