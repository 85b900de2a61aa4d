import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

let repo: TempRepo | null = null;
afterEach(async () => {
  if (repo) {
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  }
});

interface TaskJson {
  id: number;
  title: string;
  state: string;
  worktree: string;
}

describe('muster run --until-idle, with setup commands and copied files', () => {
  it('prepares each worktree (copy, then setup, output in its terminal), supervises every task to review, and exits 0 once idle', async () => {
    repo = createAgentRepo({ extra: 'worktrees: { setup: ["echo setup saw $(cat .env) > setup-out.txt", "echo SETUP-$((40 + 2))-RAN"], copy: [".env"] }' });
    // Untracked in the main worktree, as a real .env is.
    writeFileSync(join(repo.dir, '.env'), 'SECRET=42\n');
    await muster(repo.dir, ['pause']);
    for (const name of ['first', 'second']) await musterJson(repo.dir, ['task', 'add', name, '--prompt', `@print ${name} done\n@exit 0`]);
    await muster(repo.dir, ['resume']);

    const run = await muster(repo.dir, ['run', '--until-idle']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/idle: 2 review/);

    const tasks = await musterJson<TaskJson[]>(repo.dir, ['task', 'list']);
    expect(tasks.map((t) => t.state)).toEqual(['review', 'review']);
    const porcelain = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: repo.dir, encoding: 'utf8' });
    for (const t of tasks) {
      expect(readFileSync(join(t.worktree, '.env'), 'utf8')).toBe('SECRET=42\n');
      expect(readFileSync(join(t.worktree, 'setup-out.txt'), 'utf8')).toBe('setup saw SECRET=42\n');
      const log = readFileSync(join(repo.dir, '.git', 'muster', 'tasks', String(t.id), 'terminal.log'), 'utf8');
      // The setup's output, not muster's note of the command (which says $((40 + 2))).
      expect(log).toContain('SETUP-42-RAN');
      expect(log).toContain(`${t.title} done`);
      expect(log.indexOf('SETUP-42-RAN')).toBeLessThan(log.indexOf(`${t.title} done`));
      // Locked, so a `git worktree prune` elsewhere never drops a task's worktree.
      const entry = porcelain.split('\n\n').find((e) => e.startsWith(`worktree ${t.worktree}\n`));
      expect(entry, `${t.worktree} in git worktree list`).toMatch(/\nlocked/);
    }
    expect(existsSync(join(repo.dir, 'setup-out.txt')), 'setup ran in the main checkout').toBe(false);
  });

  it('exits 1 once idle when a task failed, naming it', async () => {
    repo = createAgentRepo();
    await muster(repo.dir, ['pause']);
    await musterJson(repo.dir, ['task', 'add', 'good', '--prompt', '@exit 0']);
    await musterJson(repo.dir, ['task', 'add', 'bad', '--prompt', '@print oops\n@exit 3']);
    await muster(repo.dir, ['resume']);
    const run = await muster(repo.dir, ['run', '--until-idle']);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(/idle: 1 review · 1 failed|idle: .*1 review.*1 failed|idle: .*1 failed.*1 review/);
    expect(run.stderr).toContain('muster: 1 task failed:\n  #2 bad: agent exited with code 3');
  });

  it('shows a task whose worktree is still being set up as starting, never as exited', async () => {
    const gate = join(tmpdir(), `muster-setup-gate-${process.pid}-${Date.now()}`);
    repo = createAgentRepo({ extra: `worktrees: { setup: ["while [ ! -e ${gate} ]; do sleep 0.05; done"] }` });
    try {
      const t = await musterJson<TaskJson>(repo.dir, ['task', 'add', 'slow setup', '--prompt', '@stay']);
      await waitFor(async () => (await musterJson<{ reason: string | null }>(repo!.dir, ['task', 'show', String(t.id)])).reason?.startsWith('setup:'), {
        what: 'the setup command to run',
      });
      // Any report makes the supervisor judge every agent's activity at once.
      await muster(repo.dir, ['agent', 'status', 'working', '--task', String(t.id)]);
      const during = await musterJson<{ state: string; activity: string }>(repo.dir, ['task', 'show', String(t.id)]);
      expect(during).toMatchObject({ state: 'running' });
      expect(during.activity).not.toBe('exited');
      expect((await muster(repo.dir, ['task', 'list'])).stdout).toMatch(/^#1 +running +medium +fake +starting +slow setup +setup:/m);
    } finally {
      writeFileSync(gate, '');
    }
    await waitFor(async () => (await musterJson<{ activity: string; sessions: { pid: number | null }[] }>(repo!.dir, ['task', 'show', '1'])).sessions[0]?.pid, {
      what: 'the agent to start',
    });
    rmSync(gate, { force: true });
  });
});
