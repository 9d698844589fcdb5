/** The memory-flatness run (--soak): RSS sampled every 5 s under a steady load. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppUnderTest } from '../app.js';
import { median, round, type LoadGen } from '../common.js';
import type { BenchOptions } from '../options.js';
import type { Memory } from '../results.js';

/** `o.soakS` seconds at `rate` readings/s; growth compares the last fifth of the samples with the second. */
export async function memoryRun(o: BenchOptions, app: AppUnderTest, lg: LoadGen, rate: number): Promise<Memory> {
  const samples: Memory['samples'] = [];
  const started = performance.now();
  lg.send({ cmd: 'rate', rate, durationMs: o.soakS * 1000, window: o.window });
  const ran = lg.next('ran', o.soakS * 1000 + 60_000);
  let done = false;
  void ran.then(() => (done = true), () => (done = true));
  // eslint-disable-next-line no-unmodified-loop-condition -- `done` is set by ran's callbacks, between awaits
  while (!done) {
    const s = await app.stats().catch(() => undefined);
    samples.push({ s: round((performance.now() - started) / 1000, 1), rssMb: round(app.rssMb(), 1), backlog: s?.spool.backlog ?? -1 });
    if (samples.length % 12 === 0) o.log(`  ${samples.at(-1)!.s} s: RSS ${samples.at(-1)!.rssMb} MB, spool backlog ${samples.at(-1)!.backlog}`);
    await Promise.race([sleep(5000), ran]);
  }
  const r = await ran;
  const at = (from: number, to: number) => samples.filter((x) => x.s >= from * o.soakS && x.s <= to * o.soakS).map((x) => x.rssMb);
  // Baseline: once warm (the second fifth of the run); final: the last fifth.
  const baselineRssMb = median(at(0.2, 0.4));
  const finalRssMb = median(at(0.8, 1));
  const growth = (finalRssMb - baselineRssMb) / baselineRssMb;
  return {
    durationS: o.soakS, ratePerSecond: rate, baselineRssMb, finalRssMb, maxRssMb: Math.max(...samples.map((x) => x.rssMb)),
    growth, flat: growth <= 0.1, behind: r.behind, spoolBacklogAtEnd: samples.at(-1)?.backlog ?? -1, samples,
  };
}
