import { readdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonPid, muster, musterJson, stopDaemon } from '../../helpers/cli.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let repo: TempRepo;
beforeEach(() => {
  repo = createTempRepo();
});
afterEach(async () => {
  await stopDaemon(repo.dir);
  repo.cleanup();
});

const stateDir = () => join(repo.dir, '.git', 'muster');
const titles = async () => (await musterJson<{ title: string }[]>(repo.dir, ['task', 'list'])).map((t) => t.title);

describe('a damaged store', () => {
  it('a 0-byte state.json stops the supervisor with the recovery named, and doctor --recover brings every task back', async () => {
    expect((await muster(repo.dir, ['pause'])).code).toBe(0);
    for (const t of ['one', 'two', 'three']) await musterJson(repo.dir, ['task', 'add', t]);
    expect((await muster(repo.dir, ['stop'])).code).toBe(0);
    truncateSync(join(stateDir(), 'state.json'), 0);

    const refused = await muster(repo.dir, ['task', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /state\.json: it is empty \(0 bytes\): it was damaged, not started fresh\. It has not been modified\. "muster doctor --recover" rebuilds it from its last good copy state\.json\.prev \(change 0\) and the \d+ journal changes after it \(through change \d+: 3 tasks\), and keeps the damaged file\./,
    );
    expect(readFileSync(join(stateDir(), 'state.json'), 'utf8')).toBe('');
    expect(daemonPid(repo.dir)).toBeNull();

    const check = await muster(repo.dir, ['doctor']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/it is empty \(0 bytes\)[^\n]*\nmuster: "muster doctor --recover" rebuilds it/);

    const fixed = await muster(repo.dir, ['doctor', '--recover']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(
      /^Recovered the store from .*state\.json\.prev \(change 0\) and the journal through change \d+: 3 tasks\. The damaged file is kept as .*state\.json\.damaged\.[^ ]+\.\n$/,
    );
    expect(readdirSync(stateDir()).filter((f) => f.startsWith('state.json.damaged.'))).toHaveLength(1);
    expect(await titles()).toEqual(['one', 'two', 'three']);
  }, 60_000);

  it('doctor says a sound store is sound, and that there is nothing to recover', async () => {
    expect((await muster(repo.dir, ['pause'])).code).toBe(0);
    await musterJson(repo.dir, ['task', 'add', 'one']);
    const r = await muster(repo.dir, ['doctor', '--recover']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^The store is sound: 1 task, .*state\.json holds change \d+ and the journal runs through change \d+\. Supervisor \d+ is using it\.\nNothing to recover\.\n$/,
    );
  });
});
