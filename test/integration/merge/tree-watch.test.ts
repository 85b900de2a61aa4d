import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchTree } from '../../../src/adapters/watch/tree-watch.js';
import { waitFor } from '../../helpers/wait.js';

let dir = '';
let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
  rmSync(dir, { recursive: true, force: true });
});

/** A watched tree and the number of change notifications seen so far. */
function watched(): { root: string; changes: () => number; ready: Promise<void> } {
  dir = mkdtempSync(join(tmpdir(), 'muster-watch-'));
  const root = join(dir, 'wt');
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  mkdirSync(join(root, 'node_modules', 'pkg'), { recursive: true });
  writeFileSync(join(root, 'src', 'deep', 'a.ts'), 'a\n');
  let n = 0;
  const w = watchTree(root, () => n++);
  close = w.close;
  return { root, changes: () => n, ready: w.ready };
}

/** Waits for the initial walk, then for a top-level write to be seen. */
async function settled(w: { root: string; changes: () => number; ready: Promise<void> }): Promise<number> {
  await w.ready;
  writeFileSync(join(w.root, 'probe'), `${Date.now()}`);
  await waitFor(() => w.changes() > 0, { what: 'the watcher to see a top-level file' });
  return w.changes();
}

describe('watching a worktree', () => {
  it('sees an edit in a nested directory that existed when watching began', async () => {
    const w = watched();
    const { root, changes } = w;
    const before = await settled(w);
    writeFileSync(join(root, 'src', 'deep', 'a.ts'), 'changed\n');
    await waitFor(() => changes() > before, { what: 'a change in src/deep' });
  });

  it('sees files in directories created after watching began, however deep', async () => {
    const w = watched();
    const { root, changes } = w;
    const before = await settled(w);
    mkdirSync(join(root, 'new', 'inner'), { recursive: true });
    await waitFor(() => changes() > before, { what: 'the new directory seen at the top' });
    const afterMkdir = changes();
    // Only a watch on new/inner can see writes there; it comes once the walk reaches it.
    let n = 0;
    await waitFor(
      () => {
        writeFileSync(join(root, 'new', 'inner', 'b.ts'), `${n++}`);
        // Two past the mkdir: a late event of the top directory cannot pass for both.
        return changes() >= afterMkdir + 2;
      },
      { what: 'changes in new/inner', interval: 50 },
    );
  });

  it('stays quiet about dependency directories', async () => {
    const w = watched();
    const { root, changes } = w;
    const before = await settled(w);
    for (let i = 0; i < 5; i++) writeFileSync(join(root, 'node_modules', 'pkg', `f${i}.js`), 'x');
    writeFileSync(join(root, 'src', 'deep', 'marker.ts'), 'm');
    await waitFor(() => changes() > before, { what: 'the marker change' });
    const afterMarker = changes();
    for (let i = 0; i < 5; i++) writeFileSync(join(root, 'node_modules', 'pkg', `g${i}.js`), 'x');
    writeFileSync(join(root, 'src', 'deep', 'marker2.ts'), 'm');
    await waitFor(() => changes() > afterMarker, { what: 'the second marker change' });
    // Only the markers' own events (create + modify) count, never the ten dependency files.
    expect(changes() - before).toBeLessThanOrEqual(4);
  });
});
