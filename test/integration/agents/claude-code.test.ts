import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { isAlive, muster, musterJson, stopDaemon, workerPid } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/wait.js';
import { createClaudeRepo, type ClaudeRepo } from '../../helpers/claude-repo.js';
import { conversationText } from '../../helpers/model-server.js';
import { clientFor, inState, screenOf, waitForTask as waitForTaskState } from '../../helpers/supervisor.js';

// The real Claude Code CLI starts in a few seconds on an idle machine; much slower under load.
const SLOW = 120_000;

/** Waits for a task's state and, on timeout, shows the agent's screen too (what Claude Code was asking). */
async function waitForTask(c: MusterClient, id: number, pred: Parameters<typeof waitForTaskState>[2], what: string, timeout = 60_000) {
  try {
    return await waitForTaskState(c, id, pred, what, timeout);
  } catch (e) {
    const screen = await screenOf(c, id).catch(() => '(no screen)');
    throw new Error(
      `${(e as Error).message}\n--- screen of #${id} ---\n${screen}\n--- tool results the model received ---\n${JSON.stringify(cr?.model.toolResults(), null, 1)}`,
    );
  }
}

let cr: ClaudeRepo | null = null;
let client: MusterClient | null = null;
afterEach(async () => {
  client?.close();
  client = null;
  if (cr) {
    await stopDaemon(cr.repo.dir);
    await cr.cleanup();
    cr.repo.cleanup();
    cr = null;
  }
});

describe('Claude Code in the swarm (the real CLI against a scripted model)', () => {
  it('denies an edit of a path another task write-locks before the file changes, and the reason reaches the model', { timeout: 4 * SLOW }, async () => {
    cr = await createClaudeRepo();
    client = await clientFor(cr.repo.dir);
    const holder = await client.call('task.add', { title: 'holds shared', prompt: '@wait-input', agent: 'fake', writes: ['shared.txt'], risk: 'medium' });
    await waitForTask(client, holder.id, inState('running'), 'running with its lock');
    const target = join(cr.worktree(2), 'shared.txt');
    cr.model.reply([{ tool: 'Write', input: { file_path: target, content: 'mine now\n' } }], [{ text: 'The file is locked; I will wait.' }]);
    const t = await client.call('task.add', { title: 'edits shared', prompt: 'Write shared.txt', risk: 'low' });
    expect(t.id).toBe(2);
    const answered = await cr.model.waitForRequest((r) => conversationText(r).includes('tool_result'), 'the Write tool result', SLOW);
    const result = cr.model.toolResults('Write')[0]!;
    expect(result.isError).toBe(true);
    expect(result.content).toContain('shared.txt is write-locked by #1');
    expect(result.content).toContain('lock_acquire');
    expect(conversationText(answered)).toContain('write-locked by #1');
    expect(existsSync(target)).toBe(false);
  });

  it('context_add through MCP lands in shared-context.md under its section', { timeout: 4 * SLOW }, async () => {
    cr = await createClaudeRepo();
    client = await clientFor(cr.repo.dir);
    cr.model.reply([{ tool: 'mcp__muster__context_add', input: { text: 'config is parsed with zod', section: 'decisions' } }], [{ text: 'Recorded.' }]);
    const t = await client.call('task.add', { title: 'records a decision', prompt: 'Record the decision' });
    await cr.model.waitForRequest(() => cr!.model.toolResults('mcp__muster__context_add').length > 0, 'the context_add result', SLOW);
    expect(cr.model.toolResults('mcp__muster__context_add')[0]).toMatchObject({ isError: false });
    expect(cr.model.toolResults('mcp__muster__context_add')[0]!.content).toMatch(
      /Added under "## Decisions Made": - \[#1 \d\d:\d\d\] config is parsed with zod/,
    );
    const doc = readFileSync(join(cr.repo.dir, '.git/muster/shared-context.md'), 'utf8');
    const decisions = doc.slice(doc.indexOf('## Decisions Made'), doc.indexOf('## Blockers'));
    expect(decisions).toMatch(/- \[#1 \d\d:\d\d\] config is parsed with zod/);
    expect(t.id).toBe(1);
  });

  it('reports status from its hooks (working while it thinks, idle when its turn ends) and records its session', { timeout: 4 * SLOW }, async () => {
    cr = await createClaudeRepo();
    client = await clientFor(cr.repo.dir);
    let release!: () => void;
    cr.model.reply({ blocks: [{ text: 'Thinking done.' }], gate: new Promise<void>((r) => (release = r)) });
    const t = await client.call('task.add', { title: 'thinks', prompt: 'Think' });
    await cr.model.waitForRequest(() => true, 'the first turn', SLOW);
    const working = await waitForTask(
      client,
      t.id,
      (x) => x.activity === 'working' && x.activitySource === 'reported',
      'working, as its UserPromptSubmit hook said',
      SLOW,
    );
    expect(working.session).toMatch(/^[0-9a-f-]{36}$/);
    release();
    const idle = await waitForTask(client, t.id, (x) => x.activity === 'idle' && x.activitySource === 'reported', 'idle, as its Stop hook said', SLOW);
    expect(idle.state).toBe('running');
    expect(idle.idleWithWork).toBe(false);
    const shown = await musterJson<{ activity: string; activitySource: string; session: string; conversations: { transcript: string | null }[] }>(cr.repo.dir, [
      'task',
      'show',
      String(t.id),
    ]);
    expect(shown).toMatchObject({ activity: 'idle', activitySource: 'reported', session: working.session });
    expect(shown.conversations[0]!.transcript).toMatch(/\.jsonl$/);
    // The brief went in the system prompt too, and the first message carries brief and prompt.
    const first = cr.model.requests[0]!;
    expect(first.system).toContain('# muster: you are task #1');
    expect(conversationText(first)).toContain('# muster: you are task #1');
    expect(conversationText(first)).toContain('Think');
  });

  it('task_done moves the task to review with its summary; the live agent keeps its worker until it exits', { timeout: 4 * SLOW }, async () => {
    cr = await createClaudeRepo({ maxWorkers: 1 });
    client = await clientFor(cr.repo.dir);
    cr.model.reply([{ tool: 'mcp__muster__task_done', input: { summary: 'Added the parser; its tests pass.' } }], [{ text: 'Done, waiting for review.' }]);
    const t = await client.call('task.add', { title: 'finishes', prompt: 'Finish' });
    const next = await client.call('task.add', { title: 'waits for the worker', prompt: '@print second', agent: 'fake' });
    const review = await waitForTask(client, t.id, inState('review'), 'in review', SLOW);
    expect(review.summary).toBe('Added the parser; its tests pass.');
    await cr.model.waitForRequest(() => cr!.model.toolResults('mcp__muster__task_done').length > 0, 'the task_done result', SLOW);
    expect(cr.model.toolResults('mcp__muster__task_done')[0]!.content).toContain('is in review with your summary');
    const merges = await musterJson<{ queue: { task: { id: number; summary: string } }[] }>(cr.repo.dir, ['merge', 'list']);
    expect(merges.queue[0]!.task).toMatchObject({ id: t.id, summary: 'Added the parser; its tests pass.' });
    // The agent still runs in review: it holds the only worker, so the next task waits.
    const status = await client.call('status', {});
    expect(status.workers.running).toBe(1);
    expect((await client.call('task.show', { id: next.id })).state).toBe('ready');
    expect((await client.call('task.show', { id: next.id })).reason).toBe('waits for a worker');
    await client.call('term.input', { task: t.id, data: '/exit\r' });
    await waitForTask(client, next.id, inState('running', 'review'), 'started once the agent in review exited', SLOW);
  });

  it(
    'after kill -9 of the supervisor and its terminal worker (the machine went down), retry resumes the same conversation: the model receives the earlier turns',
    { timeout: 5 * SLOW },
    async () => {
      cr = await createClaudeRepo();
      client = await clientFor(cr.repo.dir);
      cr.model.reply([{ text: 'I read the code; the parser lives in FIRST-TURN-MARKER.' }], [{ text: 'Carrying on.' }]);
      const t = await client.call('task.add', { title: 'survives', prompt: 'Find the parser' });
      const idle = await waitForTask(
        client,
        t.id,
        (x) => x.activity === 'idle' && x.conversations[0]?.transcript != null,
        'idle with its transcript recorded',
        SLOW,
      );
      const daemon = (await client.call('status', {})).daemon.pid;
      client.close();
      client = null;
      const worker = workerPid(cr.repo.dir)!;
      process.kill(daemon, 'SIGKILL');
      process.kill(worker, 'SIGKILL');
      await waitFor(() => !isAlive(daemon) && !isAlive(worker), { what: 'the supervisor and its worker to die' });
      const retried = await muster(cr.repo.dir, ['task', 'retry', String(t.id)]);
      expect(retried.code, retried.stderr).toBe(0);
      const resumed = await cr.model.waitForRequest(
        (r) => r.n > 1 && conversationText(r).includes('continues in this conversation'),
        'the resumed conversation',
        SLOW,
      );
      expect(conversationText(resumed)).toContain('FIRST-TURN-MARKER');
      expect(conversationText(resumed)).toContain('Find the parser');
      client = await clientFor(cr.repo.dir);
      const after = await client.call('task.show', { id: t.id });
      expect(after.session).toBe(idle.session);
      expect(after.sessions).toHaveLength(2);
    },
  );

  it(
    'merge reject into an exited agent resumes its conversation with the feedback as the new message; --fresh starts cold',
    { timeout: 6 * SLOW },
    async () => {
      cr = await createClaudeRepo();
      client = await clientFor(cr.repo.dir);
      cr.model.reply([{ tool: 'mcp__muster__task_done', input: { summary: 'first try' } }], [{ text: 'SUBMITTED-MARKER' }]);
      const t = await client.call('task.add', { title: 'gets feedback', prompt: 'Do the first try' });
      await waitForTask(client, t.id, (x) => x.state === 'review' && x.activity === 'idle', 'in review and idle', SLOW);
      await client.call('term.input', { task: t.id, data: '/exit\r' });
      await waitForTask(client, t.id, (x) => x.sessions[0]?.endedAt != null, 'its agent exited', SLOW);
      const r = await muster(cr.repo.dir, ['merge', 'reject', String(t.id), '--reason', 'FEEDBACK-RENAME-FOO']);
      expect(r.code, r.stderr).toBe(0);
      const resumed = await cr.model.waitForRequest((q) => conversationText(q).includes('FEEDBACK-RENAME-FOO'), 'the feedback', SLOW);
      expect(conversationText(resumed)).toContain('SUBMITTED-MARKER');
      expect(conversationText(resumed)).toContain('Feedback from the operator');
      await waitForTask(client, t.id, (x) => x.activity === 'idle' && x.sessions.length === 2, 'idle after the feedback turn', SLOW);
      client.close();
      client = null;
      // A cold retry: a new conversation whose first message is the whole brief, prompt and feedback.
      client = await clientFor(cr.repo.dir);
      await client.call('task.cancel', { id: t.id });
      const before = cr.model.requests.length;
      await client.call('task.retry', { id: t.id, fresh: true });
      const cold = await cr.model.waitForRequest((q) => q.n > before && conversationText(q).includes('you are task #1'), 'a cold start', SLOW);
      expect(conversationText(cold)).not.toContain('SUBMITTED-MARKER');
      expect(conversationText(cold)).toContain('FEEDBACK-RENAME-FOO');
      expect((await client.call('task.show', { id: t.id })).session).not.toBe(null);
    },
  );

  it('reassigning back to claude resumes its own conversation, with the hand-off of the other agent as the new message', { timeout: 5 * SLOW }, async () => {
    cr = await createClaudeRepo();
    client = await clientFor(cr.repo.dir);
    cr.model.reply([{ text: 'ORIGINAL-TURN: I will start with the parser.' }]);
    const t = await client.call('task.add', {
      title: 'changes hands',
      prompt: 'Write the parser\n@write by-fake.txt from the other agent\n@commit the other agent was here',
    });
    await waitForTask(client, t.id, (x) => x.activity === 'idle' && x.conversations[0]?.transcript != null, 'idle with its transcript', SLOW);
    // The fake agent follows the "@" lines of the prompt: it commits and exits 0, so the task goes to review.
    await client.call('task.assign', { id: t.id, agent: 'fake' });
    await waitForTask(client, t.id, (x) => x.state === 'review' && x.agent === 'fake', 'in review after the fake agent', SLOW);
    await client.call('task.assign', { id: t.id, agent: 'claude' });
    await client.call('merge.reject', { id: t.id, reason: 'carry on with the parser' });
    const resumed = await cr.model.waitForRequest((r) => conversationText(r).includes('carry on with the parser'), 'the resumed conversation', SLOW);
    const text = conversationText(resumed);
    expect(text).toContain('ORIGINAL-TURN');
    expect(text).toContain('# Hand-off: task #1 moves from fake to claude');
    expect(text).toContain('the other agent was here');
    const after = await client.call('task.show', { id: t.id });
    expect(after.sessions.map((x) => x.agent)).toEqual(['claude', 'fake', 'claude']);
  });

  it('merge reject into a live agent types the feedback into its session, and the model receives it', { timeout: 4 * SLOW }, async () => {
    cr = await createClaudeRepo();
    client = await clientFor(cr.repo.dir);
    cr.model.reply([{ tool: 'mcp__muster__task_done', input: { summary: 'first try' } }], [{ text: 'Submitted.' }]);
    const t = await client.call('task.add', { title: 'live feedback', prompt: 'Try once' });
    await waitForTask(client, t.id, (x) => x.state === 'review' && x.activity === 'idle', 'in review and idle', SLOW);
    await client.call('merge.reject', { id: t.id, reason: 'LIVE-FEEDBACK please also handle empty input' });
    const got = await cr.model.waitForRequest((q) => conversationText(q).includes('LIVE-FEEDBACK'), 'the typed feedback', SLOW);
    expect(conversationText(got)).toContain('Submitted.');
    const after = await waitForTask(client, t.id, (x) => x.conversations[0]?.feedbackSeen === 1, 'the conversation marked as told', SLOW);
    expect(after.sessions).toHaveLength(1);
  });
});
