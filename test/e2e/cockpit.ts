import { afterEach } from 'vitest';
import { createAgentRepo } from '../helpers/agent-repo.js';
import { BIN, musterJson, stopDaemon } from '../helpers/cli.js';
import { clientFor } from '../helpers/supervisor.js';
import type { TempRepo } from '../helpers/temp-repo.js';
import { waitFor } from '../helpers/wait.js';
import { lastRow, type ModeFlags, PROMPT, TmuxTerminal, visible } from './tmux.js';

/** The command line that starts the cockpit: the real binary, as an operator would type it. */
export const MUSTER = `${process.execPath} ${BIN}`;

/** The view tabs in the header: the cockpit is up. */
export const VIEW_TABS = /1 agents\s+2 tasks\s+3 locks\s+4 conflicts\s+5 merges\s+6 context/;

export interface TaskJson {
  id: number;
  title: string;
  state: string;
  reason: string | null;
  sessions: { n: number; pid: number | null; endedAt: string | null; exitCode: number | null }[];
}

export interface StatusJson {
  targetTip: string;
  tasks: TaskJson[];
}

/**
 * Per-test fixtures for e2e tests: each test gets its own repo (and so its own supervisor)
 * and its own tmux server. After each test the tmux server is killed and the supervisor
 * stopped; when the test failed the last screen is printed and the temp dir kept.
 */
export function useE2e() {
  let repos: TempRepo[] = [];
  let terms: TmuxTerminal[] = [];

  afterEach(async ({ task }) => {
    const failed = task.result?.state === 'fail' && !task.fails;
    for (const t of terms) {
      if (failed) {
        let screen = '(no screen: the tmux server is gone)';
        try {
          screen = visible(t.capture());
        } catch {
          // keep the placeholder
        }
        console.error(`--- last screen of tmux -L ${t.socket} (${task.name}) ---\n${screen}`);
      }
      t.kill();
    }
    for (const r of repos) {
      await stopDaemon(r.dir);
      if (failed) console.error(`--- kept the temp repo of "${task.name}": ${r.dir}`);
      else r.cleanup();
    }
    repos = [];
    terms = [];
  });

  return {
    /** A temp repo whose `fake` agent runs the `@`-lines of each task's prompt. */
    repo(opts: Parameters<typeof createAgentRepo>[0] = {}): TempRepo {
      const repo = createAgentRepo(opts);
      repos.push(repo);
      return repo;
    },

    /** A private tmux server at a shell prompt in `cwd`. */
    async terminal(cwd: string, opts: { cols?: number; rows?: number; env?: Record<string, string | undefined> } = {}): Promise<TmuxTerminal> {
      const term = TmuxTerminal.start({ cwd, ...opts });
      terms.push(term);
      await term.waitForPrompt();
      return term;
    },

    /** A terminal running the cockpit, once its header is drawn. */
    async cockpit(repo: TempRepo, opts: { cols?: number; rows?: number; env?: Record<string, string | undefined> } = {}): Promise<TmuxTerminal> {
      const term = await this.terminal(repo.dir, opts);
      await openCockpit(term);
      return term;
    },
  };
}

/** Types `muster` at the shell prompt and waits for the cockpit's header. */
export async function openCockpit(term: TmuxTerminal): Promise<string> {
  term.run(MUSTER);
  return term.waitForText(['muster · repo', VIEW_TABS]);
}

/** Queues a task through the real CLI (with the config's default agent unless `agent` names one). */
export async function addTask(repo: TempRepo, title: string, promptLines: string[], agent?: string): Promise<TaskJson> {
  return musterJson<TaskJson>(repo.dir, ['task', 'add', title, '--prompt', promptLines.join('\n'), ...(agent ? ['--agent', agent] : [])]);
}

/**
 * What is wrong with the terminal once muster exited, if anything: the shell should have the
 * normal screen with nothing of the cockpit left on it, the modes as before, and a cooked
 * line discipline that echoes input.
 */
export async function terminalProblems(term: TmuxTerminal, modesBefore: ModeFlags, opts: { leftOver?: RegExp } = {}): Promise<string[]> {
  const problems: string[] = [];
  await term.waitForShell();
  const screen = await term.waitForScreen((s) => s.split('\n').some((l) => l.trimEnd() === PROMPT.trimEnd()), 'a fresh prompt');
  if (lastRow(screen) !== PROMPT.trimEnd()) problems.push(`below the prompt: ${JSON.stringify(lastRow(screen))}`);
  if (VIEW_TABS.test(screen)) problems.push('the cockpit header is on the screen');
  if (opts.leftOver?.test(screen)) problems.push(`${String(opts.leftOver)} is on the screen`);
  const modes = term.modes();
  if (JSON.stringify(modes) !== JSON.stringify(modesBefore)) problems.push(`modes ${JSON.stringify(modes)}, before ${JSON.stringify(modesBefore)}`);
  term.run(`stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig|icrnl|opost)' | tr '\\n' ' '; echo "<- tty, echo $((40 + 2))"`);
  const after = await term.waitForText('<- tty, echo 42');
  if (!after.includes('icrnl opost isig icanon echo <- tty')) problems.push('the tty is not cooked with echo');
  if (!after.includes(`${PROMPT}stty -a`)) problems.push('the typed command was not echoed after the prompt');
  if (problems.length) problems.push(`screen after quitting:\n${visible(screen)}`);
  return problems;
}

export function status(repo: TempRepo): Promise<StatusJson> {
  return musterJson<StatusJson>(repo.dir, ['status']);
}

/**
 * The pid of task `id`'s current agent, once the supervisor recorded it. Its output on a screen
 * is no proof: the supervisor records the pid after the spawn returns, and the agent can print first.
 */
export async function agentPid(repo: TempRepo, id: number): Promise<number> {
  const t = await waitForTaskState(repo, id, (x) => x.state === 'running' && x.sessions.at(-1)?.pid != null, 'running, its agent started');
  return t.sessions.at(-1)!.pid!;
}

/** What `muster status --json` says of the tasks, asked from this process: a poll is no node start. */
async function tasksNow(repo: TempRepo): Promise<TaskJson[]> {
  const client = await clientFor(repo.dir);
  try {
    return (await client.call('status', {})).tasks;
  } finally {
    client.close();
  }
}

/** Polls the supervisor's status until task `id` satisfies `pred`. */
export async function waitForTaskState(repo: TempRepo, id: number, pred: (t: TaskJson) => boolean, what: string): Promise<TaskJson> {
  let last: { tasks: TaskJson[] } | null = null;
  return waitFor(
    async () => {
      last = { tasks: await tasksNow(repo) };
      const t = last.tasks.find((x) => x.id === id);
      return t && pred(t) ? t : null;
    },
    {
      timeout: 60_000,
      interval: 150,
      what: `#${id} ${what}`,
      describe: () =>
        JSON.stringify(
          last?.tasks.map((t) => ({ id: t.id, state: t.state, reason: t.reason })),
          null,
          1,
        ),
    },
  );
}
