import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../../src/adapters/store/store.js';
import { waitFor } from '../../helpers/wait.js';

const WRITER = resolve(import.meta.dirname, '../../fixtures/store-writer.ts');
const ROOT = resolve(import.meta.dirname, '../../..');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-kill-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `r<round> w<writer> #<n>` in the order the writer process made them. */
function order(label: string): [number, number] {
  const m = /r(\d+) w\d+ #(\d+)/.exec(label);
  return m ? [Number(m[1]), Number(m[2])] : [-1, -1];
}
const later = (a: string, b: string) => {
  const [x, y] = [order(a), order(b)];
  return x[0] !== y[0] ? x[0] > y[0] : x[1] >= y[1];
};

interface Line {
  kind: string;
  seq: number;
  details: { task: number; title?: string; reason?: string };
}

describe('the store under kill -9', () => {
  it('keeps every acknowledged change, replays its journal, and logs only committed changes, over 12 kills mid-write and mid-snapshot', async () => {
    const added = new Map<number, string>();
    const lastTouch = new Map<number, string>();
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, `r${round}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let acks = 0;
      let ready = false;
      createInterface({ input: child.stdout }).on('line', (line) => {
        const [what, id, ...rest] = line.split(' ');
        if (what === 'ready') ready = true;
        if (what === 'ack') added.set(Number(id), rest.join(' '));
        if (what === 'touch') lastTouch.set(Number(id), rest.join(' '));
        if (what === 'ack' || what === 'touch') acks++;
      });
      const exited = new Promise((r) => child.on('close', r));
      await waitFor(() => ready, { what: `writer ${round} to open the store`, timeout: 30_000 });
      // Kill at a different point of the stream each round.
      await waitFor(() => acks >= 40 + round * 13, { what: `writer ${round} to commit`, timeout: 30_000 });
      child.kill('SIGKILL');
      await exited;

      const { store } = await Store.open({ storeFile: join(dir, 'state.json'), eventsFile: join(dir, 'events.jsonl') });
      const tasks = new Map(store.data.tasks.map((t) => [t.id, t]));
      for (const [id, title] of added) expect(tasks.get(id)?.title, `acknowledged task ${id} "${title}" after kill ${round}`).toBe(title);
      for (const [id, reason] of lastTouch) {
        const now = tasks.get(id)?.reason ?? '';
        expect(later(now, reason), `task ${id} lost its acknowledged change "${reason}" (has "${now}") after kill ${round}`).toBe(true);
      }
      const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
      const logged = lines.filter((l) => l.kind === 'task-added');
      // The audit log holds exactly the committed adds: none that was not made, none twice, none missing.
      expect(logged.map((l) => l.details.task).sort((a, b) => a - b)).toEqual([...tasks.keys()].sort((a, b) => a - b));
      for (const l of logged) expect(tasks.get(l.details.task)?.title).toBe(l.details.title);
      for (let i = 1; i < lines.length; i++) expect(lines[i]!.seq).toBeGreaterThanOrEqual(lines[i - 1]!.seq);
      expect(lines.at(-1)!.seq).toBeLessThanOrEqual(store.committedSeq);
      await store.close();
    }
    expect(added.size).toBeGreaterThan(300);
    // Snapshots were taken and old journal segments went: the kills landed among them.
    expect(readdirSync(join(dir, 'journal')).length).toBeLessThan(10);
  }, 240_000);
});
