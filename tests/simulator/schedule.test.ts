import { describe, expect, it } from '@jest/globals';
import { naturalRate, runAtRate } from '../../src/simulator/index.js';

describe('rate scheduler', () => {
  it('runs slots at a steady rate against absolute time', async () => {
    const late: number[] = [];
    const t0 = performance.now();
    const run = runAtRate({ rate: 200, total: 400, onSlot: (_k, due) => late.push(performance.now() - t0 - due) });
    await run.done;
    const elapsed = performance.now() - t0;
    expect(late).toHaveLength(400);
    // no slot early; none more than a few timer ticks late; the whole run lasts total/rate
    expect(Math.min(...late)).toBeGreaterThanOrEqual(-1);
    expect(late.filter((l) => l > 30).length).toBeLessThan(8);
    expect(elapsed).toBeGreaterThan(1990);
    expect(elapsed).toBeLessThan(2150);
  });

  it('does not drift when the event loop stalls: missed slots run at once and the schedule goes on', async () => {
    const times: number[] = [];
    const t0 = performance.now();
    const run = runAtRate({
      rate: 100,
      total: 150,
      onSlot: (k) => {
        times.push(performance.now() - t0);
        if (k === 20) { const until = performance.now() + 250; while (performance.now() < until); } // a 250 ms stall
      },
    });
    await run.done;
    expect(times).toHaveLength(150);
    // slots after the stall are on their absolute times again
    expect(times[120]!).toBeGreaterThanOrEqual(1199);
    expect(times[120]!).toBeLessThan(1260);
    expect(performance.now() - t0).toBeLessThan(1600);
  });

  it('stops early on stop()', async () => {
    let n = 0;
    const run = runAtRate({ rate: 100, total: Infinity, onSlot: () => n++ });
    await new Promise((r) => setTimeout(r, 300));
    run.stop();
    await run.done;
    const at = n;
    await new Promise((r) => setTimeout(r, 100));
    expect(n).toBe(at);
    expect(at).toBeGreaterThan(20);
    expect(at).toBeLessThan(40);
  });

  it('computes the natural rate from catalog intervals', () => {
    expect(naturalRate([5000, 10_000, 60_000])).toBeCloseTo(0.2 + 0.1 + 1 / 60);
  });
});
