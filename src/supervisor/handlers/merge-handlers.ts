import { existsSync } from 'node:fs';
import { lastLanding } from '../../core/merge-plan.js';
import { getTask } from '../../core/task-queue.js';
import { formatId } from '../../core/task.js';
import { runGit } from '../../adapters/git/git.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { MergeEntry } from '../../protocol/shapes.js';
import type { Supervisor } from '../supervisor.js';
import { viewOf } from './task-handlers.js';

/** Merges are the operator's call: an agent cannot approve or undo one from its worktree. */
function requireOperator(sup: Supervisor, caller: Caller | undefined, verb: string): void {
  const task = sup.taskOfCaller(caller);
  if (task) throw new MusterError('bad-input', `${verb} is the operator's decision; task ${formatId(task)} cannot ${verb} from its worktree.`);
}

export async function mergeList(sup: Supervisor): Promise<ResultOf<'merge.list'>> {
  const repo = sup.ctx.paths.repo.mainRoot;
  const target = sup.ctx.target;
  const tipRun = await runGit(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${target}^{commit}`]);
  const tip = tipRun.exitCode === 0 ? tipRun.stdout.trim() : null;
  const queue: MergeEntry[] = [];
  for (const id of sup.merges.queue()) {
    const task = getTask(sup.state, id)!;
    const range = task.branch && tip ? [`${tip}..${task.branch}`, `${tip}...${task.branch}`] : null;
    const log = range ? (await runGit(repo, ['log', '--no-decorate', '--format=%h%x09%s', range[0]!])).stdout : '';
    const numstat = range ? (await runGit(repo, ['diff', '--numstat', range[1]!])).stdout : '';
    const status = task.worktree && existsSync(task.worktree) ? (await runGit(task.worktree, ['status', '--porcelain'])).stdout : '';
    queue.push({
      task: viewOf(sup, id),
      commits: log.split('\n').filter(Boolean).map((l) => ({ sha: l.split('\t')[0] ?? '', subject: l.split('\t').slice(1).join('\t') })),
      files: numstat.split('\n').filter(Boolean).map((l) => {
        const [a, r, ...p] = l.split('\t');
        return { path: p.join('\t'), added: a === '-' ? null : Number(a), removed: r === '-' ? null : Number(r) };
      }),
      uncommitted: status.split('\n').filter(Boolean).map((l) => l.slice(3)),
      result: sup.state.mergeResults.find((r) => r.task === id) ?? null,
      conflicts: sup.scanner.conflicts.filter((c) => c.tasks.includes(id)),
    });
  }
  const last = lastLanding(sup.state.merges, target);
  return { target, tip, queue, running: sup.state.mergeRun?.task ?? null, canUndo: last && last.record.to === tip ? last.record.task : null };
}

export async function mergeApprove(sup: Supervisor, p: ParsedParamsOf<'merge.approve'>, caller?: Caller): Promise<ResultOf<'merge.approve'>> {
  requireOperator(sup, caller, 'approve a merge');
  return sup.merges.approve(p.id, sup.actorOf(caller), true);
}

export async function mergeReject(sup: Supervisor, p: ParsedParamsOf<'merge.reject'>, caller?: Caller): Promise<ResultOf<'merge.reject'>> {
  await sup.merges.reject(p.id, p.reason, sup.actorOf(caller));
  return viewOf(sup, p.id);
}

export async function mergeSkip(sup: Supervisor, p: ParsedParamsOf<'merge.skip'>, caller?: Caller): Promise<ResultOf<'merge.skip'>> {
  return sup.merges.skip(p.id, sup.actorOf(caller));
}

export async function mergeUndo(sup: Supervisor, _p: unknown, caller?: Caller): Promise<ResultOf<'merge.undo'>> {
  requireOperator(sup, caller, 'undo a merge');
  return sup.merges.undo(sup.actorOf(caller));
}

/** The change a merge would bring: the branch against the target, from their merge base. */
export async function mergeDiff(sup: Supervisor, p: ParsedParamsOf<'merge.diff'>): Promise<ResultOf<'merge.diff'>> {
  const task = getTask(sup.state, p.id);
  if (!task?.branch) throw new MusterError('not-found', `${formatId(p.id)} has no branch to show.`);
  const repo = sup.ctx.paths.repo.mainRoot;
  const r = await runGit(repo, ['diff', '--stat', '--patch', '--no-color', `${sup.ctx.target}...${task.branch}`]);
  return { diff: r.stdout, base: sup.ctx.target };
}
