import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { pathsFor } from '../../client/connect.js';
import { MusterError } from '../../protocol/errors.js';
import { println } from '../output.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a commented .muster/config.yaml, with quality gates proposed from this project')
    .option('--force', 'replace an existing config (the old one is kept as config.yaml.bak)')
    .action(async (o: { force?: boolean }) => {
      const { defaultConfigText, detectDefaultAgent, DETECTED_AGENTS, proposeGates } = await import('../../config/default-file.js');
      const paths = pathsFor(process.cwd());
      const file = paths.configFile;
      const shown = relative(process.cwd(), file) || file;
      if (existsSync(file) && !o.force) {
        throw new MusterError(
          'bad-input',
          `${shown} already exists and was left as it is. Edit it, or run "muster init --force" to replace it (the old file is kept as config.yaml.bak).`,
        );
      }
      mkdirSync(dirname(file), { recursive: true });
      if (existsSync(file)) copyFileSync(file, `${file}.bak`);
      const root = paths.repo.mainRoot;
      const target = currentBranch(paths.repo.commonDir) ?? 'main';
      const gates = proposeGates(root);
      const agent = detectDefaultAgent(process.env.PATH);
      writeFileSync(file, defaultConfigText({ target, gates, hasPackageJson: existsSync(join(root, 'package.json')), defaultAgent: agent }));
      println(
        `Wrote ${shown}${gates.length ? ` with gates: ${gates.map((g) => g.name).join(', ')}` : ' (no quality gates found to propose; add them under quality_gates)'}.`,
      );
      println(
        agent === 'shell'
          ? `Default agent: shell (a bash session), since none of ${DETECTED_AGENTS.join(', ')} is on PATH; install one and set default_agent, or pass --agent.`
          : `Default agent: ${agent} (found on PATH); change default_agent in ${shown} to use another.`,
      );
      println('Next: muster task add "title" --prompt "..."  then  muster');
    });
}

function currentBranch(commonDir: string): string | null {
  try {
    return /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(join(commonDir, 'HEAD'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}
