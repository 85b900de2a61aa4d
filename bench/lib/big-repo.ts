import { execFileSync } from 'node:child_process';
import { createTempRepo, type TempRepo } from '../../test/helpers/temp-repo.js';

/** Path of file `n` of a generated repository: 100 files per directory. */
export function bigRepoPath(n: number): string {
  return `src/m${String(Math.floor(n / 100)).padStart(3, '0')}/f${String(n % 100).padStart(2, '0')}.ts`;
}

/**
 * A temp repository of `files` small source files (plus README) in one commit on main, made
 * with `git fast-import` and checked out by git: far quicker than writing and adding them.
 */
export function createBigRepo(files: number): TempRepo {
  const repo = createTempRepo();
  const parent = repo.git('rev-parse', 'HEAD').trim();
  const parts: string[] = [
    'commit refs/heads/main',
    'committer bench <bench@muster.invalid> 1700000000 +0000',
    `data ${Buffer.byteLength(`${files} files`)}`,
    `${files} files`,
    `from ${parent}`,
  ];
  for (let n = 0; n < files; n++) {
    const content = `// file ${n}\nexport const value${n} = ${n};\nexport function f${n}(x: number): number {\n  return x + ${n};\n}\n`;
    parts.push(`M 100644 inline ${bigRepoPath(n)}`, `data ${Buffer.byteLength(content)}`, content);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo.dir, input: `${parts.join('\n')}\n`, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  repo.git('reset', '-q', '--hard', 'main');
  return repo;
}
