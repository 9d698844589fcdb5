import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { naturalRate, runAtRate } from '../../src/simulator/index.js';

describe('rate scheduler', () => {
  // Order and outcome, not speed: the real clock only checks that no slot runs early and the run lasts its
  // length; the schedule itself (absolute times, catching up after a stall, stop) runs on Jest's fake clock,
  // where a timer fires exactly when due, so the times are exact whatever the machine's load.
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs every slot in order, none before its due time, and lasts total/rate (real clock)', async () => {
    const slots: Array<[number, number, number]> = [];
    const t0 = performance.now(); // at or before the run's own start, so `late` is never less than the run's
    const run = runAtRate({ rate: 200, total: 400, onSlot: (k, due) => slots.push([k, due, performance.now() - t0 - due]) });
    await run.done;
    expect(slots.map(([k]) => k)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(slots.map(([, due]) => due)).toEqual(Array.from({ length: 400 }, (_, i) => i * 5));
    expect(slots.filter(([, , late]) => late < 0)).toEqual([]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('keeps slots on absolute times: after a stall the missed slots run at once and the schedule goes on (fake clock)', async () => {
    jest.useFakeTimers({ now: 0 });
    const times: number[] = [];
    const run = runAtRate({
      rate: 100,
      total: 150,
      now: () => Date.now(),
      onSlot: (k) => {
        times.push(Date.now());
        if (k === 20) jest.setSystemTime(Date.now() + 250); // slot 20 takes 250 ms
      },
    });
    let finished = false;
    void run.done.then(() => { finished = true; });
    // The stall took 250 ms of the clock: the run's 1500 ms end after 1250 ms more of timers.
    await jest.advanceTimersByTimeAsync(1249);
    expect([finished, Date.now()]).toEqual([false, 1499]);
    await jest.advanceTimersByTimeAsync(1);
    expect([finished, Date.now()]).toEqual([true, 1500]);
    // Due at k × 10 ms; 21–45 fell due during the stall (which ended at 450) and ran together on the next timer
    // (Node's shortest, 1 ms); from 46 on, each at its own due time again.
    expect(times).toEqual(Array.from({ length: 150 }, (_, k) => (k > 20 ? Math.max(k * 10, 451) : k * 10)));
  });

  it('stops early on stop(), and runs no slot after it (fake clock)', async () => {
    jest.useFakeTimers({ now: 0 });
    let n = 0;
    const run = runAtRate({ rate: 100, total: Infinity, now: () => Date.now(), onSlot: () => n++ });
    await jest.advanceTimersByTimeAsync(295);
    run.stop();
    await run.done;
    expect(n).toBe(30); // slots 0, 10, …, 290 ms
    await jest.advanceTimersByTimeAsync(1000);
    expect(n).toBe(30);
    expect(run.slots).toBe(30);
  });

  it('computes the natural rate from catalog intervals', () => {
    expect(naturalRate([5000, 10_000, 60_000])).toBeCloseTo(0.2 + 0.1 + 1 / 60);
  });
});
