import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { musterJson, stopDaemon } from '../../helpers/cli.js';
import { createStubbornRepo, killLeftovers, killProcessesUnder, recordedProcesses, type SeenProcess, type StubbornRepo } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';

type TaskJson = { id: number; state: string };

/** What an agent's own commands print, written by the stubborn agent's prompt. */
function outputOf(r: StubbornRepo, name: string): Promise<string> {
  const file = join(r.pidsDir, name);
  return waitFor(() => (existsSync(file) ? readFileSync(file, 'utf8') : null), { what: `${name} from inside the agent` });
}

/** Operator-only requests from inside an agent (issue 10, defect 8). */
describe('what only the operator may do', () => {
  let repo: StubbornRepo | null = null;
  const seen: SeenProcess[] = [];
  afterEach(async () => {
    if (repo) await stopDaemon(repo.dir);
    killLeftovers(seen.splice(0));
    if (repo) killProcessesUnder(repo.root);
    repo?.cleanup();
    repo = null;
  });

  it("refuses an agent's merge approve from the main checkout without its task id, and from a setsid'd double fork with a cleared environment", async () => {
    repo = createStubbornRepo();
    await musterJson(repo.dir, ['task', 'add', 'high risk work', '--risk', 'high', '--prompt', '@write a.txt a\n@commit add a\n@exit 0']);
    await waitFor(async () => (await musterJson<TaskJson>(repo!.dir, ['task', 'show', '1'])).state === 'review', { what: '#1 in review' });

    const prompt = [
      'out="$PIDS_DIR/approve"',
      '(cd "$MUSTER_ROOT" && env -u MUSTER_TASK_ID muster merge approve 1) > "$out.tmp" 2>&1; echo "exit $?" >> "$out.tmp"; mv "$out.tmp" "$out"',
      `setsid -f env -i PATH="$PATH" /bin/bash -c 'cd "$0" && muster merge approve 1 > "$1.tmp" 2>&1; echo "exit $?" >> "$1.tmp"; mv "$1.tmp" "$1"' "$MUSTER_ROOT" "$PIDS_DIR/escaped"`,
      'stay',
    ].join('\n');
    await musterJson(repo.dir, ['task', 'add', 'sneaky', '--agent', 'stubborn', '--prompt', prompt]);
    await waitFor(() => recordedProcesses(repo!.pidsDir, 2).length > 0, { what: 'the agent to start' });
    seen.push(...recordedProcesses(repo.pidsDir, 2));

    const direct = await outputOf(repo, 'approve');
    expect(direct).toMatch(
      /Only the operator may approve a merge; this request came from task #2's agent \(pid \d+, node\): it runs in the session of task #2's agent\./,
    );
    expect(direct).toMatch(/exit 2\n$/);
    const escaped = await outputOf(repo, 'escaped');
    expect(escaped).toMatch(
      /Only the operator may approve a merge; this request came from an agent or a gate \(pid \d+, node\): it descends from the supervisor/,
    );
    expect(escaped).toMatch(/exit 2\n$/);

    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', '1'])).state).toBe('review');
    const events = readFileSync(join(repo.dir, '.git', 'muster', 'events.jsonl'), 'utf8');
    expect(events).not.toContain('"merge-approved"');
    expect(events.match(/"operator-only-refused"/g)).toHaveLength(2);

    // The operator, from a shell that is not the agent's, still decides.
    const landed = await musterJson<{ landed: boolean }>(repo.dir, ['merge', 'approve', '1']);
    expect(landed.landed).toBe(true);
  });

  it('lets an agent act on its own task but not on another', async () => {
    repo = createStubbornRepo();
    await musterJson(repo.dir, ['task', 'add', 'bystander', '--prompt', '@wait-input\n@stay']);
    const prompt = [
      'muster task cancel 1 > "$PIDS_DIR/other.tmp" 2>&1; echo "exit $?" >> "$PIDS_DIR/other.tmp"; mv "$PIDS_DIR/other.tmp" "$PIDS_DIR/other"',
      'muster lock acquire shared.txt --task 1 > "$PIDS_DIR/lock.tmp" 2>&1; echo "exit $?" >> "$PIDS_DIR/lock.tmp"; mv "$PIDS_DIR/lock.tmp" "$PIDS_DIR/lock"',
      'muster task done > "$PIDS_DIR/own.tmp" 2>&1; echo "exit $?" >> "$PIDS_DIR/own.tmp"; mv "$PIDS_DIR/own.tmp" "$PIDS_DIR/own"',
      'stay',
    ].join('\n');
    await musterJson(repo.dir, ['task', 'add', 'agent', '--agent', 'stubborn', '--prompt', prompt]);
    await waitFor(() => recordedProcesses(repo!.pidsDir, 2).length > 0, { what: 'the agent to start' });
    seen.push(...recordedProcesses(repo.pidsDir, 2));
    expect(await outputOf(repo, 'other')).toMatch(/Only the operator may cancel another task; this request came from task #2's agent[\s\S]*exit 2\n$/);
    expect(await outputOf(repo, 'lock')).toMatch(/Only the operator may take a lock for another task;[\s\S]*exit 2\n$/);
    expect(await outputOf(repo, 'own')).toMatch(/exit 0\n$/);
    expect(await musterJson<unknown[]>(repo.dir, ['lock', 'list'])).toEqual([]);
    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', '1'])).state).toBe('running');
    expect((await musterJson<TaskJson>(repo.dir, ['task', 'show', '2'])).state).toBe('review');
  });
  it('keeps an agent to its own task whatever MUSTER_TASK_ID or its directory say', async () => {
    repo = createStubbornRepo();
    await musterJson(repo.dir, ['task', 'add', 'bystander', '--prompt', '@wait-input\n@stay']);
    await waitFor(async () => (await musterJson<TaskJson>(repo!.dir, ['task', 'show', '1'])).state === 'running', { what: '#1 running' });
    const wt1 = (await musterJson<{ worktree: string }>(repo.dir, ['task', 'show', '1'])).worktree;
    const run = (name: string, cmd: string) =>
      `${cmd} > "$PIDS_DIR/${name}.tmp" 2>&1; echo "exit $?" >> "$PIDS_DIR/${name}.tmp"; mv "$PIDS_DIR/${name}.tmp" "$PIDS_DIR/${name}"`;
    const prompt = [
      run('done', 'MUSTER_TASK_ID=1 muster task done --summary impersonated'),
      run('lock', 'MUSTER_TASK_ID=1 muster lock acquire shared.txt'),
      run('context', `(cd ${JSON.stringify(wt1)} && env -u MUSTER_TASK_ID muster context add "said by someone else" --section decisions)`),
      run('status', 'MUSTER_TASK_ID=1 muster agent status waiting-input --note "not mine"'),
      run('own', 'muster lock acquire own.txt'),
      'stay',
    ].join('\n');
    await musterJson(repo.dir, ['task', 'add', 'impostor', '--agent', 'stubborn', '--prompt', prompt]);
    await waitFor(() => recordedProcesses(repo!.pidsDir, 2).length > 0, { what: 'the agent to start' });
    seen.push(...recordedProcesses(repo.pidsDir, 2));

    const refusal = /This request came from task #2's agent \(pid \d+, node\): it runs in the session of task #2's agent; it cannot act for task #1/;
    const done = await outputOf(repo, 'done');
    expect(done).toMatch(refusal);
    expect(done).toContain('(MUSTER_TASK_ID=1)');
    expect(done).toMatch(/exit 2\n$/);
    expect(await outputOf(repo, 'lock')).toMatch(new RegExp(`${refusal.source}[\\s\\S]*exit 2\\n$`));
    const context = await outputOf(repo, 'context');
    expect(context).toMatch(refusal);
    expect(context).toContain(`it runs in task #1's worktree ${wt1}`);
    expect(await outputOf(repo, 'status')).toMatch(new RegExp(`${refusal.source}[\\s\\S]*exit 2\\n$`));
    // Its own task, named by nothing but where it runs from, still works.
    expect(await outputOf(repo, 'own')).toMatch(/exit 0\n$/);

    const one = await musterJson<TaskJson & { summary: string | null }>(repo.dir, ['task', 'show', '1']);
    expect(one.state).toBe('running');
    expect(one.summary).toBeNull();
    const locks = await musterJson<{ resource: string; owner: { task?: number } }[]>(repo.dir, ['lock', 'list']);
    expect(locks.map((l) => [l.resource, l.owner.task])).toEqual([['own.txt', 2]]);
    const events = readFileSync(join(repo.dir, '.git', 'muster', 'events.jsonl'), 'utf8');
    expect(events).not.toContain('marked done by task #1');
    expect(events).not.toContain('said by someone else');
    expect(readFileSync(join(repo.dir, '.git', 'muster', 'shared-context.md'), 'utf8')).not.toContain('said by someone else');
  });
});
