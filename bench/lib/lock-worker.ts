// One of the concurrent lock clients (run by bench/locks.ts with `node --import tsx`): its own
// process and connection, owning its locks by its own pid. On "go" it does OPS read-modify-
// write increments of a counter file, each under an exclusive lock ("lock") or not ("none"),
// and prints how many acquires were granted and refused.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MusterClient } from '../../src/client/client.js';
import { callerFor, pathsFor } from '../../src/client/connect.js';

const [dir, opsArg, resource, counterFile, mode] = process.argv.slice(2) as [string, string, string, string, 'lock' | 'none'];
const ops = Number(opsArg);
const paths = pathsFor(dir);
const client = await MusterClient.open(paths.socketPath, { ...callerFor(paths, dir), ownerPid: process.pid });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));

let granted = 0;
let refused = 0;
for (let i = 0; i < ops; i++) {
  if (mode === 'lock') {
    const r = await client.call('lock.acquire', { resources: [resource], mode: 'write', waitMs: 120_000 });
    if (!r.granted) {
      refused++;
      continue;
    }
    granted++;
  }
  const value = Number(readFileSync(counterFile, 'utf8'));
  // A moment between read and write, as real work has: without the lock, others get in here.
  await new Promise((r) => setTimeout(r, 1));
  writeFileSync(counterFile, String(value + 1));
  if (mode === 'lock') await client.call('lock.release', { resources: [resource] });
}
process.stdout.write(`${JSON.stringify({ granted, refused })}\n`);
client.close();
