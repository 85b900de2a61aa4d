import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cockpitPlan } from '../../../src/cli/fleet-cockpit.js';
import { MusterError } from '../../../src/protocol/errors.js';
import { createTempRepo, type TempRepo } from '../../helpers/temp-repo.js';

let config: string;
let repos: TempRepo[];
const saved = process.env.XDG_CONFIG_HOME;
beforeEach(() => {
  config = realpathSync(mkdtempSync(join(tmpdir(), 'muster-conf-')));
  process.env.XDG_CONFIG_HOME = config;
  repos = [createTempRepo('alpha'), createTempRepo('beta'), createTempRepo('gamma')];
});
afterEach(() => {
  if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = saved;
  rmSync(config, { recursive: true, force: true });
  for (const r of repos) r.cleanup();
});

function fleetFile(lines: string[]): void {
  mkdirSync(join(config, 'muster'), { recursive: true });
  writeFileSync(join(config, 'muster', 'fleet.yaml'), `${lines.join('\n')}\n`);
}

describe('which repositories the cockpit shows', () => {
  it('is this repository alone without --host, --repo or a fleet file', async () => {
    expect(await cockpitPlan({}, repos[0]!.dir)).toEqual({ kind: 'local', cwd: repos[0]!.dir });
  });

  it("is the one remote repository of --host, whose failure to connect is the command's", async () => {
    expect(await cockpitPlan({ host: 'alice@box:/srv/app' }, repos[0]!.dir)).toEqual({
      kind: 'fleet',
      tolerant: false,
      repos: [{ name: 'box:app', spec: { kind: 'remote', target: { host: 'alice@box', path: '/srv/app' } }, remoteCommand: null }],
    });
  });

  it('is exactly the --repo ones, local paths from here, one local alone being the plain cockpit', async () => {
    const [alpha, beta] = repos as [TempRepo, TempRepo];
    const plan = await cockpitPlan({ repo: ['../../' + beta.dir.split('/').slice(-2).join('/'), 'box:/srv/app'] }, alpha.dir);
    expect(plan).toMatchObject({ kind: 'fleet', tolerant: true, repos: [{ name: 'beta', spec: { kind: 'local', path: beta.dir } }, { name: 'box:app' }] });
    expect(await cockpitPlan({ repo: [beta.dir] }, alpha.dir)).toEqual({ kind: 'local', cwd: beta.dir });
  });

  it("is the fleet file's, showing the one you are in first, or adding it when the file does not list it", async () => {
    const [alpha, beta, gamma] = repos as [TempRepo, TempRepo, TempRepo];
    fleetFile(['repositories:', `  - ${alpha.dir}`, `  - { path: ${beta.dir}, name: b }`, '  - box:/srv/app']);
    const inBeta = await cockpitPlan({}, join(beta.dir));
    expect(inBeta).toMatchObject({ kind: 'fleet', current: 1, repos: [{ name: 'alpha' }, { name: 'b' }, { name: 'box:app' }] });
    const inGamma = await cockpitPlan({}, gamma.dir);
    expect(inGamma).toMatchObject({ kind: 'fleet', current: 0, repos: [{ name: 'gamma' }, { name: 'alpha' }, { name: 'b' }, { name: 'box:app' }] });
    const nowhere = await cockpitPlan({}, config);
    expect(nowhere).toMatchObject({ kind: 'fleet', current: 0, repos: [{ name: 'alpha' }, { name: 'b' }, { name: 'box:app' }] });
  });

  it('refuses a bad fleet file with its line and exit 2', async () => {
    fleetFile(['repositories:', '  - { path: /a, hots: box }']);
    const e = await cockpitPlan({}, repos[0]!.dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MusterError);
    expect((e as MusterError).exitCode).toBe(2);
    expect((e as MusterError).message).toBe(
      `${join(config, 'muster', 'fleet.yaml')}:2 repositories[0].hots: expected no key "hots" here, received an unknown key`,
    );
  });
});
