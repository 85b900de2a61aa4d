import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import type { TempRepo } from '../../helpers/temp-repo.js';

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
});
