import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { musterJson, stopDaemon } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo;
const planted: string[] = [];
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(async () => {
  await stopDaemon(repo.dir);
  for (const p of planted.splice(0)) rmSync(p, { recursive: true, force: true });
  repo.cleanup();
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function plant(path: string, dir = false): string {
  if (dir) {
    mkdirSync(path);
    writeFileSync(join(path, 'index'), 'half an index');
  } else writeFileSync(path, '');
  planted.push(path);
  return path;
}

describe('leftovers of killed supervisors', () => {
  it('are removed when a supervisor starts, and only the ones whose writer is gone', async () => {
    const stateDir = join(repo.dir, '.git', 'muster');
    mkdirSync(stateDir, { recursive: true });
    const dead = deadPid();
    const live = process.pid;
    const gone = [
      plant(join(stateDir, `.shared-context.md.${dead}.1a2b3c4d.tmp`)),
      plant(join(stateDir, `daemon.lock.${dead}.tmp`)),
      plant(join(stateDir, `.state.json.${dead}.5e6f7a8b.tmp`)),
      plant(join(tmpdir(), `muster-index-${dead}-Ab12Cd`), true),
    ];
    const kept = [
      // Another supervisor (this process stands in for it) may be writing these right now.
      plant(join(stateDir, `.shared-context.md.${live}.1a2b3c4d.tmp`)),
      plant(join(tmpdir(), `muster-index-${live}-Ef34Gh`), true),
      // Not ours by name.
      plant(join(stateDir, 'notes.tmp')),
    ];
    await musterJson(repo.dir, ['status']);
    expect(gone.filter((p) => existsSync(p))).toEqual([]);
    expect(kept.filter((p) => !existsSync(p))).toEqual([]);
  });
});
