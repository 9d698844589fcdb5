/**
 * `tsx bench/profile-summary.ts FILE.cpuprofile [top]`: where a V8 CPU profile (from `npm run bench -- --cpu-prof DIR`)
 * spent its time: self time by function and by package/file, and inclusive time of citysense's own functions.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

process.stdout.on("error", () => process.exit(0));
const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the sample deltas (µs).
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(src\/.*)$/.exec(url);
  if (src) return src[1]!;
  return url || `(${n.callFrame.functionName || 'native'})`;
};
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;

function print(title: string, m: Map<string, number>, k = top): void {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)) {
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}\n`);
  }
}

const bySelf = new Map<string, number>();
const byWhere = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  bySelf.set(label(n), (bySelf.get(label(n)) ?? 0) + us);
  byWhere.set(where(n), (byWhere.get(where(n)) ?? 0) + us);
  // Inclusive time of our own functions (each counted once per stack).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const c = byId.get(cur)!;
    if (!c.callFrame.url.includes('/src/')) continue;
    const l = label(c);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}
process.stdout.write(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print('self time by function', bySelf);
print('self time by package / file', byWhere, 25);
print('inclusive time of citysense functions', inclusive, 25);
