import { FAKE_AGENT } from './agent-repo.js';
import { claudeHome, claudePresetYaml, ModelServer } from './model-server.js';
import { createTempRepo, type TempRepo } from './temp-repo.js';

export interface ClaudeRepo {
  repo: TempRepo;
  model: ModelServer;
  /** Where task `id`'s worktree will be. */
  worktree(id: number): string;
  cleanup(): Promise<void>;
}

/**
 * A temp repository whose `claude` preset is the real Claude Code CLI talking to a scripted
 * model server started for the test, beside the usual `fake` agent; `extra` is more YAML.
 */
export async function createClaudeRepo(opts: { extra?: string; maxWorkers?: number; preset?: string } = {}): Promise<ClaudeRepo> {
  const model = await new ModelServer().start();
  const repo = createTempRepo();
  const home = claudeHome(repo.root, model.key, repo.root);
  const base = 30000 + Math.floor(Math.random() * 300) * 100;
  repo.write(
    '.muster/config.yaml',
    [
      'agents:',
      claudePresetYaml(model, home),
      ...(opts.preset ? [opts.preset] : []),
      `  fake: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FAKE_AGENT)}, "{prompt_file}"] }`,
      'default_agent: claude',
      `parallel: { max_workers: ${opts.maxWorkers ?? 4} }`,
      `ports: { base: ${base}, block: 5, slots: 12 }`,
      'terminal: { stop_grace_seconds: 2 }',
      opts.extra ?? '',
    ].join('\n'),
  );
  repo.commitAll('muster config');
  return {
    repo,
    model,
    worktree: (id) => `${repo.root}/repo.worktrees/task-${id}`,
    async cleanup() {
      await model.close();
    },
  };
}
