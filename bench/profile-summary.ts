// Where a CPU profile's time goes:
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--callers FN] [--from US --to US]
// Prints self time by function and by source file (node_modules folded to their package); with
// --callers, the call paths (five frames up) that lead to functions named FN; --from/--to keep
// only the samples inside a window of CLOCK_MONOTONIC microseconds (process.hrtime in the bench).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The profile with only the samples taken between `from` and `to` (monotonic µs). */
export function windowed(profile: Profile, from: number, to: number): Profile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t >= from && t <= to) {
      samples.push(id);
      timeDeltas.push(profile.timeDeltas[i] ?? 0);
    }
  });
  return { ...profile, samples, timeDeltas };
}

/** A source file as a short name: a package for node_modules, else the path from the repo. */
function where(url: string): string {
  if (!url) return '(native / idle / gc)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(dist|src|components|bench)\//, '$1/');
}

/** Inclusive time of the call paths (five frames up) that end in a function named `fn`. */
export function callersOf(profile: Profile, fn: string, top = 15): string {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const paths = new Map<string, number>();
  for (const [id, ms] of self) {
    // The nearest frame named `fn` on this sample's stack, and five of its callers.
    let cur: number | undefined = id;
    while (cur !== undefined && byId.get(cur)!.callFrame.functionName !== fn) cur = parent.get(cur);
    if (cur === undefined) continue;
    const chain: string[] = [];
    for (let k = 0; k < 6 && cur !== undefined; k++, cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      chain.push(`${f.functionName || '(anonymous)'}@${where(f.url)}:${f.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    paths.set(key, (paths.get(key) ?? 0) + ms);
  }
  return [...paths]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, ms]) => `${ms.toFixed(0).padStart(8)} ms  ${k}`)
    .join('\n');
}

export function summarise(profile: Profile, top = 25): string {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of profile.nodes) {
    const ms = self.get(n.id) ?? 0;
    if (!ms) continue;
    const file = where(n.callFrame.url);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${file}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `${ms.toFixed(0).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return `total ${total.toFixed(0)} ms sampled\n\nself time by file or package:\n${list(byFile)}\n\nself time by function:\n${list(byFn)}`;
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, callers: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  let profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
  if (values.from || values.to) profile = windowed(profile, Number(values.from ?? 0), Number(values.to ?? Number.MAX_SAFE_INTEGER));
  process.stdout.write(`${summarise(profile, Number(values.top ?? 25))}\n`);
  if (values.callers) process.stdout.write(`\ncall paths to ${values.callers}:\n${callersOf(profile, values.callers)}\n`);
}
