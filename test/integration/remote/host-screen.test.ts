import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { MusterClient } from '../../../src/client/client.js';
import { muster, stopDaemon } from '../../helpers/cli.js';
import { createAgentRepo } from '../../helpers/agent-repo.js';
import { agentHostForTests } from '../../helpers/agent-host.js';
import { sshSkipReason } from '../../helpers/sshd.js';
import { clientFor } from '../../helpers/supervisor.js';
import type { TempRepo } from '../../helpers/temp-repo.js';
import { waitFor } from '../../helpers/wait.js';

const DRAWING_AGENT = resolve(import.meta.dirname, '../../fixtures/drawing-agent.mjs');
const skip = sshSkipReason();
if (skip) console.warn(`skipping the host screen tests: ${skip}`);

/** What a client shows of a task's screen from the frames it was sent (topic `screen` for an attach, `rows` for a pane). */
function followScreen(client: MusterClient, topic: 'screen' | 'rows', task: number): { text: () => string; off: () => void } {
  const lines: string[] = [];
  const off = client.onEvent((e) => {
    if (e.topic !== topic) return;
    const frame = e.data as { task: number; rows?: [number, string][]; full?: boolean; height?: number };
    if (frame.task !== task || !frame.rows) return;
    if (frame.full) lines.splice(0, lines.length, ...Array<string>(frame.height ?? 0).fill(''));
    for (const [y, text] of frame.rows) lines[y] = stripVTControlCharacters(text).trimEnd();
  });
  return { text: () => lines.join('\n').trimEnd(), off: () => void off() };
}

/** The drawing agent's screen once it stopped at frame `n` (drawing-agent.mjs), row by row. */
function drawnScreen(n: number): string[] {
  const rows = Array<string>(10).fill('');
  rows[1] = `header of frame ${n}`;
  rows[4] = `row five: count ${n}`;
  rows[7] = `footer of frame ${n}`;
  rows[9] = `stopped at frame ${n}`;
  return rows;
}

/**
 * A host agent's screen is its host's: the worker there emulates the terminal and sends the
 * supervisor the views' frames, so what the operator sees after a dropped connection is the
 * host's screen as it is, whatever the agent drew meanwhile, and the scrollback comes from there.
 */
describe.skipIf(skip !== null)("a host agent's screen, emulated on the host (over a real ssh server)", () => {
  const farHost = agentHostForTests();
  let repo: TempRepo | null = null;
  let files: string | null = null;

  afterEach(async () => {
    if (files) rmSync(files, { recursive: true, force: true });
    files = null;
    if (!repo) return;
    await stopDaemon(repo.dir);
    repo.cleanup();
    repo = null;
  });

  const audit = (r: TempRepo) => {
    const file = join(r.dir, '.git', 'muster', 'events.jsonl');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  };

  it('shows exactly what the agent drew while the connection was down once it is back, and its scrollback reads back from the host', async () => {
    const host = farHost();
    // Where the agent (on the host, which is this machine through sshd) says how far it drew.
    const dir = (files = mkdtempSync(join(tmpdir(), 'muster-drawn-')));
    const r = (repo = createAgentRepo({
      maxWorkers: 2,
      terminal: { cols: 80, rows: 24 },
      agents: { draw: { command: process.execPath, args: [DRAWING_AGENT, dir] } },
      extra: [`hosts:`, `  far: { ssh: ${host.alias}, max_workers: 2, dir: work }`].join('\n'),
    }));
    const drawn = (name = 'drawn') => (existsSync(join(dir, name)) ? Number(readFileSync(join(dir, name), 'utf8')) : 0);
    const added = await muster(r.dir, ['task', 'add', 'draws far away', '--agent', 'draw', '--on-host', 'far', '--json'], { env: host.env });
    expect(added.code, added.stderr).toBe(0);
    const id = (JSON.parse(added.stdout) as { id: number }).id;

    const client = await clientFor(r.dir);
    let attached: ReturnType<typeof followScreen> | null = null;
    let pane: ReturnType<typeof followScreen> | null = null;
    const describeAll = async () => {
      const tasks = await muster(r.dir, ['task', 'list', '--json'], { env: host.env });
      const logs = [join(r.dir, '.git', 'muster', 'daemon.log'), join(host.remoteHome, 'work', '.muster', 'worker.log')]
        .map((f) => `--- ${f} ---\n${existsSync(f) ? readFileSync(f, 'utf8').slice(-3000) : '(none)'}`)
        .join('\n');
      return `drawn ${drawn()}, stopped ${drawn('stopped')}\n--- attached ---\n${attached?.text()}\n--- pane ---\n${pane?.text()}\n${tasks.stdout}${tasks.stderr}\n${logs}\n--- sshd ---\n${host.log().slice(-1500)}`;
    };
    const shim = join(host.remoteHome, 'bin', 'muster');
    try {
      await waitFor(() => drawn() > 0 || null, { timeout: 90_000, what: 'the agent on the host to draw', describe: describeAll });
      // An attach (the full-screen view) and a pane, open across the drop, at the terminal's own size.
      attached = followScreen(client, 'screen', id);
      pane = followScreen(client, 'rows', id);
      await client.call('term.attach', { task: id, cols: 80, rows: 24, color: false });
      await client.call('term.watch', { task: id, width: 80, height: 24, color: false, resize: false });
      await waitFor(() => /header of frame \d+/.test(attached!.text()) || null, {
        timeout: 60_000,
        what: 'the attach to show the drawing',
        describe: describeAll,
      });

      // The host becomes unreachable: every connection cut, and its muster cannot be run until it is back.
      renameSync(shim, `${shim}.away`);
      expect(host.dropConnections()).toBeGreaterThan(0);
      await waitFor(() => audit(r).some((l) => l.includes('"task-stalled"') && l.includes(`"task":${id},`)) || null, {
        timeout: 60_000,
        what: 'the task stalled once its host is unreachable',
        describe: describeAll,
      });
      // The agent draws on there, with no connection to anyone; then it stops and says at which frame.
      const atDrop = drawn();
      await waitFor(() => drawn() >= atDrop + 25 || null, { timeout: 60_000, what: 'the agent to draw on while its host is away', describe: describeAll });
      writeFileSync(join(dir, 'stop'), '');
      const last = await waitFor(() => drawn('stopped') || null, { timeout: 60_000, what: 'the agent to stop drawing', describe: describeAll });
      expect(attached.text()).not.toContain('stopped at frame');
      renameSync(`${shim}.away`, shim);

      // Back: the views show the host's screen, exactly, as the agent left it.
      await waitFor(() => audit(r).some((l) => l.includes('"task-resumed"') && l.includes(`"task":${id},`)) || null, {
        timeout: 90_000,
        what: 'the task resumed once its host is back',
        describe: describeAll,
      });
      const want = drawnScreen(last).join('\n');
      await waitFor(() => (attached!.text() === want && pane!.text() === want) || null, {
        timeout: 60_000,
        what: `the attach and the pane to show frame ${last} exactly`,
        describe: async () => `want:\n${want}\n${await describeAll()}`,
      });

      // The scrollback: what scrolled off before the agent cleared its screen, then the screen, from the host's emulator.
      // (Before them the session's banner, which scrolled off with them.)
      const history = await client.call('term.history', { task: id, color: false });
      const recent = history.recent.map((l) => stripVTControlCharacters(l).trimEnd());
      const scrolled = Array.from({ length: 37 }, (_, i) => `history ${i + 1}`);
      const screen = drawnScreen(last);
      expect(recent.slice(-(scrolled.length + screen.length))).toEqual([...scrolled, ...screen]);
      expect(recent.slice(0, -(scrolled.length + screen.length)).join('\n')).toContain('session 1: draw on far');
    } finally {
      if (existsSync(`${shim}.away`)) renameSync(`${shim}.away`, shim);
      attached?.off();
      pane?.off();
      client.close();
    }
    await muster(r.dir, ['task', 'cancel', String(id)], { env: host.env });
  }, 360_000);
});
